import type { FastifyReply } from "fastify"

/**
 * The only `_tag` → HTTP status table. Every error leaves the API as
 * problem-details JSON (RFC 9457) with a stable machine-readable `code`.
 */
export const statusByTag: Record<string, number> = {
  // bad input
  InvalidEvent: 400,
  InvalidRequest: 400,
  // not found
  StreamNotFound: 404,
  NotFound: 404,
  // conflicts / wrong state
  WrongExpectedVersion: 409,
  CommandIdReused: 409,
  // infrastructure
  EventStoreUnavailable: 503,
  CorruptEvent: 500
}

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
    return {
      type: `urn:neuralink:error:${_tag}`,
      title: titleOf(_tag),
      status,
      code: _tag,
      ...(message ? { detail: message } : {}),
      ...fields
    }
  }
  return { type: "urn:neuralink:error:Internal", title: "Internal", status: 500, code: "Internal" }
}

export const sendProblem = (reply: FastifyReply, problem: Problem) =>
  reply.status(problem.status).type("application/problem+json").send(problem)
