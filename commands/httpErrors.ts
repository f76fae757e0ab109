import type { FastifyReply } from "fastify"
import type * as anchorErrors from "../domain/anchor/errors"
import type * as datasetErrors from "../domain/dataset/errors"
import type * as escrowErrors from "../domain/escrow/errors"
import type { EscrowExceeded } from "../domain/ledger/ledger"
import type * as modelErrors from "../domain/model/errors"
import type * as nodeErrors from "../domain/node/errors"
import type * as scoringErrors from "../domain/scoring/errors"
import type * as storeErrors from "../domain/ports"
import type * as taskErrors from "../domain/task/errors"
import type { ChainUnavailable } from "../chain-bridge/ChainClient"
import type * as apiErrors from "./apiErrors"
import type { NodeNotFound } from "./facts"
import type { ConcurrencyRetriesExhausted } from "./handleCommand"
import type * as proofErrors from "./routes/proofs"
import type * as queryErrors from "./routes/queries"
import type * as settlementQueryErrors from "./routes/settlements"
import type * as signatureErrors from "./signedCommand"

/** The `_tag`s of every tagged-error class a module exports. */
type TagsOf<M> = {
  [K in keyof M]: M[K] extends abstract new (...args: any) => { readonly _tag: infer T extends string } ? T : never
}[keyof M]

/** Every error a request can end with. Adding an error class to one of these modules without a status fails `tsc`. */
export type ApiErrorTag =
  | TagsOf<typeof taskErrors>
  | TagsOf<typeof modelErrors>
  | TagsOf<typeof datasetErrors>
  | TagsOf<typeof nodeErrors>
  | TagsOf<typeof anchorErrors>
  | TagsOf<typeof scoringErrors>
  | TagsOf<typeof escrowErrors>
  | TagsOf<typeof settlementQueryErrors>
  | TagsOf<typeof storeErrors>
  | TagsOf<typeof signatureErrors>
  | TagsOf<typeof proofErrors>
  | TagsOf<typeof queryErrors>
  | TagsOf<typeof apiErrors>
  | EscrowExceeded["_tag"]
  | NodeNotFound["_tag"]
  | ConcurrencyRetriesExhausted["_tag"]
  | ChainUnavailable["_tag"]

type HttpStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 429 | 500 | 503

/**
 * The only `_tag` → HTTP status table. Typed over the union of all error
 * tags: a missing tag, an unknown one or a tag listed twice fails `tsc`.
 * Every error leaves the API as problem-details JSON (RFC 9457) with a stable
 * machine-readable `code`.
 */
export const statusByTag = {
  // 400: the request or the domain input is invalid
  InvalidRequest: 400, JsonTooDeep: 400, InvalidEvent: 400, TaskConfigInvalid: 400, TopologyInvalid: 400, MetricNotOffered: 400,
  DatasetFormatMismatch: 400, UnknownWorkload: 400, NotGenerative: 400, NotAnAgent: 400, ImportRefused: 400, ArtefactNotFound: 400, NoWorkloadForModel: 400, ExportUnsupported: 400, ModelVersionNotPublished: 409, DatasetShardsInvalid: 400,
  RejectionNeedsReason: 400, ProposalInvalid: 400, ProofMismatch: 400, UnknownShard: 400, AnchorMismatch: 400,
  WeightsHashMismatch: 400, ResultIdNotDerived: 400, ScoringRequestInvalid: 400, ScoreCommitmentMismatch: 400, CommitmentMismatch: 400, VoteInconsistent: 400, DisputeAnswerInvalid: 400, InvalidAmount: 400,
  UnknownEscrowAccount: 400, SettlementMismatch: 400, InvalidPublicKey: 400,
  // 402: the Neura behind it are not deposited on chain (yet)
  NotDeposited: 402,
  // 401: the signature does not prove who is asking
  InvalidSignature: 401, SignatureExpired: 401,
  // 403: the signer is known but may not do this
  NotTaskOwner: 403, NotModelOwner: 403, NotNodeKey: 403, NodeLacksRole: 403, NotParticipant: 403,
  NotAssignedValidator: 403, NotDatasetOwner: 403, SignerIsNotNodeKey: 403, NotModelOwnerOrCoordinator: 403,
  ForkNotAllowed: 403, NotVoterKey: 403, NotDrawnJudge: 403, NotJudgeKey: 403, NotAdmin: 403, NotBridgeKey: 403, NotNodeSigner: 403,
  // 404: something named does not exist
  NotFound: 404, StreamNotFound: 404, NotAnchoredYet: 404, EventNotFound: 404, TaskNotFound: 404, NodeNotFound: 404,
  DatasetNotFound: 404, ModelNotFound: 404, ModelVersionNotFound: 404, ResultNotFound: 404, SubmissionNotFound: 404,
  ProposalNotFound: 404, ScoringNotFound: 404, AnchorNotOnChain: 404, DepositNotOnChain: 404, SettlementNotFound: 404, NodeNotRegistered: 404,
  // 409: conflicts with the current state
  WrongExpectedVersion: 409, CommandIdReused: 409, ConcurrencyRetriesExhausted: 409, TaskAlreadyExists: 409,
  TaskClosed: 409, AlreadyJoined: 409, RoundNotRunning: 409, RoundAlreadyRunning: 409, WrongRound: 409,
  RoundLimitReached: 409, NotEnoughParticipants: 409, RoundDeadlinePassed: 409, RoundStillOpen: 409,
  ResultAlreadySubmitted: 409, AlreadyVoted: 409, ValidatorNotReplaceable: 409, NewVersionRequired: 409, NodeAlreadyRegistered: 409,
  NodeKeyAlreadyRegistered: 409, DatasetAlreadyRegistered: 409, SubmissionAlreadyExists: 409,
  SubmissionAlreadyReviewed: 409, ModelAlreadyRegistered: 409, ModelDelisted: 409, VersionConflict: 409,
  ProposalAlreadyExists: 409, ProposalClosed: 409, ProposalStillOpen: 409, AlreadyVotedOnProposal: 409,
  EscrowExceeded: 409, ModelNotUsable: 409, AnchorAlreadyRecorded: 409, DepositAlreadyRecorded: 409, SettlementAlreadyRecorded: 409, NothingToSettle: 409, ValidatorsAlreadyDrawn: 409, VoteNotCommitted: 409,
  VoteAlreadyCommitted: 409, RevealNotOpen: 409, CommitWindowClosed: 409, NotChallengeable: 409, NotDisputed: 409, NotFinalYet: 409, StakeTooLow: 409, NothingToWithdraw: 409, StakeStillNeeded: 409,
  ScoringAlreadyRequested: 409, JudgesAlreadyDrawn: 409, JudgesNotDrawn: 409, ScoreAlreadyCommitted: 409, ScoreCommitClosed: 409,
  ScoreNotCommitted: 409, ScoreAlreadyRevealed: 409, ScoreRevealNotOpen: 409, ScoringSettled: 409, ScoringStillOpen: 409,
  // 413: too large to accept (the limit is in the problem)
  PayloadTooLarge: 413, EventTooLarge: 413,
  // 429: slow down
  RateLimited: 429,
  // 5xx: infrastructure
  EventStoreUnavailable: 503, ProjectionBehind: 503, ChainUnavailable: 503, CorruptEvent: 500
} as const satisfies Record<ApiErrorTag, HttpStatus>

/** Problem-details members that an error's own fields may never overwrite. */
const RESERVED = new Set(["type", "title", "status", "code", "detail"])

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
    const { _tag, message, stack: _stack, ...all } = error as { _tag: string; message?: string; stack?: string; detail?: unknown }
    const status: number = (statusByTag as Record<string, HttpStatus>)[_tag] ?? 500
    // Tagged errors carry their facts as fields; say them in the detail too.
    const fields = Object.fromEntries(Object.entries(all).filter(([k]) => !RESERVED.has(k)))
    const facts = Object.entries(fields)
      .filter(([, v]) => v !== undefined && typeof v !== "object")
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ")
    const ownDetail = typeof all.detail === "string" ? all.detail : undefined
    const detail = message || ownDetail || (facts ? `${_tag}: ${facts}` : undefined)
    // Facts first: the standard members come last so no field can replace them.
    return { ...fields, type: `urn:neuralink:error:${_tag}`, title: titleOf(_tag), status, code: _tag, ...(detail ? { detail } : {}) }
  }
  return { type: "urn:neuralink:error:Internal", title: "Internal", status: 500, code: "Internal" }
}

export const sendProblem = (reply: FastifyReply, problem: Problem) =>
  reply.status(problem.status).type("application/problem+json").send(problem)
