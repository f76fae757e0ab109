import { Schema } from "effect"
import type { FastifyReply } from "fastify"

/**
 * The only `_tag` → HTTP status table. Every error leaves the API as
 * problem-details JSON (RFC 9457) with a stable machine-readable `code`.
 */
const codes = (status: number, tags: ReadonlyArray<string>) => tags.map((tag) => [tag, status] as const)

export const statusByTag: Readonly<Record<string, number>> = Object.fromEntries([
  // 400: the request or the domain input is invalid
  ...codes(400, [
    "InvalidRequest", "InvalidEvent", "TaskConfigInvalid", "DatasetShardsInvalid", "RejectionNeedsReason",
    "ProposalInvalid", "ProofMismatch", "UnknownShard"
  ]),
  // 401: the signature does not prove who is asking
  ...codes(401, ["InvalidSignature", "SignatureExpired"]),
  // 403: the signer is known but may not do this
  ...codes(403, [
    "NotTaskOwner", "NotModelOwner", "NotNodeKey", "NodeLacksRole", "NotParticipant", "NotAssignedValidator",
    "NotDatasetOwner", "SignerIsNotNodeKey", "NotModelOwnerOrCoordinator", "ForkNotAllowed", "NotVoterKey"
  ]),
  // 404: something named does not exist
  ...codes(404, [
    "NotFound", "StreamNotFound", "NotAnchoredYet", "EventNotFound", "TaskNotFound", "NodeNotFound", "DatasetNotFound", "ModelNotFound",
    "ModelVersionNotFound", "ResultNotFound", "SubmissionNotFound", "ProposalNotFound"
  ]),
  // 409: conflicts with the current state
  ...codes(409, [
    "WrongExpectedVersion", "CommandIdReused", "ConcurrencyRetriesExhausted", "TaskAlreadyExists", "TaskClosed",
    "AlreadyJoined", "RoundNotRunning", "RoundAlreadyRunning", "WrongRound", "RoundLimitReached",
    "NotEnoughParticipants", "RoundDeadlinePassed", "RoundStillOpen", "ResultAlreadySubmitted", "AlreadyVoted",
    "ResultAlreadyDecided", "NewVersionRequired", "NodeAlreadyRegistered", "DatasetAlreadyRegistered",
    "SubmissionAlreadyExists", "SubmissionAlreadyReviewed", "ModelAlreadyRegistered", "ModelDelisted",
    "VersionConflict", "ProposalAlreadyExists", "ProposalClosed", "ProposalStillOpen", "AlreadyVotedOnProposal",
    "EscrowExceeded", "ModelNotUsable"
  ]),
  // 5xx: infrastructure
  ...codes(503, ["EventStoreUnavailable", "ProjectionBehind"]),
  ...codes(500, ["CorruptEvent"])
])

/** Bad HTTP input (body, query, headers). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", { detail: Schema.String }) {}

export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly code: string
  readonly detail?: string
  readonly [extra: string]: unknown
}

const titleOf = (code: string) => code.replace(/([a-z])([A-Z])/g, "$1 $2")

export const problemOf = (error: unknown): Problem => {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const { _tag, message, stack: _stack, ...fields } = error as { _tag: string; message?: string; stack?: string }
    const status = statusByTag[_tag] ?? 500
    // Tagged errors carry their facts as fields; say them in the detail too.
    const facts = Object.entries(fields)
      .filter(([, v]) => v !== undefined && typeof v !== "object")
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ")
    const detail = message || (facts ? `${_tag}: ${facts}` : undefined)
    return {
      type: `urn:neuralink:error:${_tag}`,
      title: titleOf(_tag),
      status,
      code: _tag,
      ...(detail ? { detail } : {}),
      ...fields
    }
  }
  return { type: "urn:neuralink:error:Internal", title: "Internal", status: 500, code: "Internal" }
}

export const sendProblem = (reply: FastifyReply, problem: Problem) =>
  reply.status(problem.status).type("application/problem+json").send(problem)
