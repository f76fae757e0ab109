import { Exit, Schema } from "effect"
import { DomainEvent } from "../../domain/events"
import {
  CommandIdReused,
  CorruptEvent,
  EventStoreUnavailable,
  EventTooLarge,
  InvalidEvent,
  WrongExpectedVersion,
  type AppendInput,
  type AppendResult
} from "../../domain/ports"
import { Commit, EventMetadata, type RecordedEvent } from "../../domain/recordedEvent"
import { decodeCommit, type PreparedAppend } from "./codec"

/**
 * The wire form of an append one process forwards to the lease holder
 * (writerLease.ts), and of its answer. The request carries the events and
 * metadata as the sender already wrote them (their canonical JSON, from
 * prepareAppend), and the holder validates them again: the subject is open
 * to every API process, so it is a boundary like the HTTP API. The answer is
 * the commit as stored, decoded and position-checked by the sender as any
 * read of the log is, or the append's typed error.
 */

const ForwardedAppend = Schema.Struct({
  stream: Schema.String,
  expectedRevision: Schema.Union([Schema.Literals(["any", "no_stream"]), Schema.Number]),
  commandId: Schema.String,
  events: Schema.Array(DomainEvent),
  metadata: EventMetadata
})
const decodeForwarded = Schema.decodeUnknownExit(ForwardedAppend)

const AppendFailure = Schema.Union([WrongExpectedVersion, InvalidEvent, CommandIdReused, EventTooLarge, EventStoreUnavailable])
type AppendFailure = typeof AppendFailure.Type
const encodeFailure = Schema.encodeSync(AppendFailure)
const decodeFailure = Schema.decodeUnknownExit(AppendFailure)
const isAppendFailure = Schema.is(AppendFailure)

const encodeCommit = Schema.encodeSync(Commit)

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** The request: written from the canonical JSON the sender already has, so nothing is encoded twice. */
export const forwardRequest = (p: PreparedAppend): Uint8Array =>
  utf8.encode(
    `{"commandId":${JSON.stringify(p.commandId)},"events":[${p.canonical.events.join(",")}],"expectedRevision":${JSON.stringify(p.expectedRevision)},"metadata":${p.canonical.metadata},"stream":${JSON.stringify(p.stream)}}`
  )

/** The holder's reading of a request: the append to run, or why it cannot be one. */
export const readForwardRequest = (data: Uint8Array): AppendInput => {
  let raw: unknown
  try {
    raw = JSON.parse(text.decode(data))
  } catch {
    throw new InvalidEvent({ reason: "a forwarded append is not JSON" })
  }
  const exit = decodeForwarded(raw)
  if (Exit.isFailure(exit)) throw new InvalidEvent({ reason: "a forwarded append does not decode as one" })
  return exit.value
}

/**
 * The holder's answer: the commit as stored, or the append's error (anything
 * else becomes "unavailable", which senders retry). A commit too large to go
 * back in one message (`maxBytes`, the connection's payload limit) is
 * answered by its position alone, and the sender reads it from the log.
 */
export const forwardAnswer = (outcome: { readonly ok: AppendResult } | { readonly error: unknown }, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array => {
  if ("ok" in outcome) {
    const { events, ...rest } = outcome.ok
    const whole = utf8.encode(JSON.stringify({ ok: { ...rest, commit: encodeCommit({ events: events as typeof Commit.Type["events"] }) } }))
    return whole.length <= maxBytes ? whole : utf8.encode(JSON.stringify({ ok: rest }))
  }
  const error: AppendFailure = isAppendFailure(outcome.error)
    ? outcome.error
    : new EventStoreUnavailable({ reason: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) })
  return utf8.encode(JSON.stringify({ error: encodeFailure(error) }))
}

/**
 * The sender's reading of an answer: the append's result, or its typed error
 * thrown. The commit is checked as a read of the log is (decodeCommit): a
 * holder cannot hand back events that are not a stored commit at the
 * position it names. An answer without its commit (too large to send back)
 * is read at its position (`commitAt`).
 */
export const readForwardAnswer = async (data: Uint8Array, commitAt: (globalPosition: number) => Promise<ReadonlyArray<RecordedEvent>>): Promise<AppendResult> => {
  let raw: { ok?: { globalPosition?: unknown; nextExpectedRevision?: unknown; duplicate?: unknown; commit?: unknown }; error?: unknown }
  try {
    raw = JSON.parse(text.decode(data))
  } catch {
    throw new EventStoreUnavailable({ reason: "the log's writer answered with something that is not JSON" })
  }
  if (raw.error !== undefined) {
    const failure = decodeFailure(raw.error)
    throw Exit.isSuccess(failure) ? failure.value : new EventStoreUnavailable({ reason: "the log's writer answered with an unknown error" })
  }
  const ok = raw.ok
  if (ok === undefined || typeof ok.globalPosition !== "number" || typeof ok.nextExpectedRevision !== "number" || typeof ok.duplicate !== "boolean") {
    throw new EventStoreUnavailable({ reason: "the log's writer answered with something that is not an append's result" })
  }
  let events: ReadonlyArray<RecordedEvent>
  try {
    events = ok.commit === undefined ? await commitAt(ok.globalPosition) : decodeCommit(ok.commit, ok.globalPosition)
  } catch (e) {
    throw new EventStoreUnavailable({ reason: `the log's writer answered with a commit that does not decode: ${e instanceof CorruptEvent ? e.reason : String(e)}` })
  }
  if (events.length === 0) throw new EventStoreUnavailable({ reason: `the log's writer answered with position ${ok.globalPosition}, which holds no commit` })
  return { globalPosition: ok.globalPosition, nextExpectedRevision: ok.nextExpectedRevision, duplicate: ok.duplicate, events }
}
