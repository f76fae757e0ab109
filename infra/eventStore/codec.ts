import { Cause, Exit, Schema, SchemaAST } from "effect"
import { SchemaJITCompiler } from "effect/schema"
import { DomainEvent, domainEventTypes } from "../../domain/events"
import { CorruptEvent, EventTooLarge, InvalidEvent, type AppendInput, type ExpectedRevision } from "../../domain/ports"
import { Commit, type EncodedRecordedEvent, EventMetadata, RecordedEvent } from "../../domain/recordedEvent"
import { parseStreamName, type StreamName } from "../../domain/streamName"
import { canonicalJson } from "../canonicalJson"

/** An append that passed validation: everything an adapter needs, already encoded. */
export interface PreparedAppend {
  /** The caller's events, validated. */
  readonly decoded: ReadonlyArray<RecordedEvent["data"]>
  readonly stream: string
  readonly streamName: StreamName
  readonly expectedRevision: ExpectedRevision
  readonly commandId: string
  readonly events: ReadonlyArray<typeof DomainEvent.Encoded>
  readonly metadata: typeof EventMetadata.Encoded
  /** The canonical JSON of `events` and `metadata` (written once, here: it measures the commit and is what sealing hashes). */
  readonly canonical: { readonly events: ReadonlyArray<string>; readonly metadata: string }
}

// Every read of the log decodes commits, and every append encodes events:
// Effect's JIT compiles these schemas to specialised functions (a third less
// time per commit than its interpreter, measured in replay). It falls back to
// the interpreter for anything it cannot compile, and gives the interpreter's
// exact errors (spec: compiledCodec). Enabled before any decoder below runs.
SchemaJITCompiler.enable(Commit.ast)
SchemaJITCompiler.enable(RecordedEvent.ast)
SchemaJITCompiler.enable(SchemaAST.flip(DomainEvent.ast))
SchemaJITCompiler.enable(SchemaAST.flip(EventMetadata.ast))

const allErrors = { errors: "all" } as const
const encodeEvent = Schema.encodeUnknownExit(DomainEvent, allErrors)
const encodeMetadata = Schema.encodeUnknownExit(EventMetadata, allErrors)
const decodeCommitExit = Schema.decodeUnknownExit(Commit, allErrors)
// Stops at the first issue: a third cheaper than collecting all of them, and a
// stored commit is valid but for foreign messages, whose reason is then
// written with every issue by the decoder above.
const decodeRecordedEventFirst = Schema.decodeUnknownExit(RecordedEvent)

/**
 * The Schema decode of one stored commit (`Commit`), as `Schema.decodeUnknownExit(Commit)`
 * answers it. The events go one by one through the compiled RecordedEvent
 * decoder: Effect decodes a `NonEmptyArray` with its interpreter around the
 * compiled elements, ~0.2 µs of a ~2.2 µs commit. Anything but a plain
 * object whose own `events` is a non-empty array of events that all decode
 * goes through the whole Commit decoder, which writes every issue (the
 * compiled-codec spec holds the two to the same answers).
 */
export const decodeStoredCommit = (raw: unknown): Exit.Exit<typeof Commit.Type, Schema.SchemaError> => {
  const events = typeof raw === "object" && raw !== null && Object.getPrototypeOf(raw) === Object.prototype && Object.hasOwn(raw, "events") ? (raw as { events: unknown }).events : undefined
  if (Array.isArray(events) && events.length > 0) {
    const decoded: Array<RecordedEvent> = new Array(events.length)
    let i = 0
    for (; i < events.length; i++) {
      const exit = decodeRecordedEventFirst(events[i])
      if (Exit.isFailure(exit)) break
      decoded[i] = exit.value
    }
    if (i === events.length) return Exit.succeed({ events: decoded as unknown as typeof Commit.Type["events"] })
  }
  return decodeCommitExit(raw)
}

const failureMessage = (exit: Exit.Exit<unknown, unknown>): string => {
  if (!Exit.isFailure(exit)) return ""
  const error = Cause.squash(exit.cause)
  return error instanceof Error ? error.message : String(error)
}

/**
 * The largest commit any adapter stores: JetStream's `max_msg_size` for the
 * log (1 MiB). Checked here, before any I/O, so every adapter refuses the
 * same commits with the same typed error (and never with "unavailable",
 * which clients would retry forever).
 */
export const MAX_COMMIT_BYTES = 1024 * 1024
/** Envelope fields a sealed event adds around its data and metadata (ids, positions, hashes), rounded up. */
const ENVELOPE_OVERHEAD_BYTES = 600

/** Canonical JSON of an encoded value, or the append's InvalidEvent (a value the hash could not cover faithfully). */
const canonicalOrRefuse = (value: unknown, what: string): string => {
  try {
    return canonicalJson(value)
  } catch (e) {
    throw new InvalidEvent({ reason: `${what} is not plain JSON: ${e instanceof Error ? e.message : String(e)}` })
  }
}

/**
 * Validate and encode an append before any I/O. Throws InvalidEvent; nothing
 * is ever written for input that fails here. Shared by every adapter so they
 * refuse exactly the same things.
 */
export const prepareAppend = (input: AppendInput): PreparedAppend => {
  const parsed = parseStreamName(String(input.stream))
  if ("invalid" in parsed) throw new InvalidEvent({ reason: parsed.invalid })
  const expected = input.expectedRevision
  if (!(expected === "any" || expected === "no_stream" || (Number.isSafeInteger(expected) && expected >= 0))) {
    throw new InvalidEvent({ reason: `expectedRevision must be a non-negative integer, "no_stream" or "any"; got ${String(expected)}` })
  }
  if (!Array.isArray(input.events) || input.events.length === 0) {
    throw new InvalidEvent({ reason: "an append needs at least one event" })
  }
  const events = input.events.map((event, i) => {
    const tag = typeof event === "object" && event !== null && "_tag" in event ? String(event._tag) : undefined
    if (tag === undefined || !domainEventTypes.has(tag)) {
      throw new InvalidEvent({
        reason: `event #${i} has unknown event type ${JSON.stringify(tag ?? null)}; known: ${[...domainEventTypes].join(", ")}`,
        ...(tag === undefined ? {} : { eventType: tag })
      })
    }
    const exit = encodeEvent(event)
    if (Exit.isSuccess(exit)) return exit.value
    throw new InvalidEvent({
      reason: `event #${i}${tag ? ` (${tag})` : ""} is not a valid catalogue event: ${failureMessage(exit)}`,
      ...(tag === undefined ? {} : { eventType: tag })
    })
  })
  const metadataExit = encodeMetadata({ ...input.metadata, commandId: input.commandId })
  if (Exit.isFailure(metadataExit)) throw new InvalidEvent({ reason: `invalid metadata: ${failureMessage(metadataExit)}` })
  const canonical = {
    events: events.map((e, i) => canonicalOrRefuse(e, `event #${i} (${e._tag})`)),
    metadata: canonicalOrRefuse(metadataExit.value, "metadata")
  }
  // Every sealed event carries its data and the command's metadata.
  const metadataBytes = Buffer.byteLength(canonical.metadata, "utf8")
  const bytes = canonical.events.reduce((sum, e) => sum + Buffer.byteLength(e, "utf8") + metadataBytes + ENVELOPE_OVERHEAD_BYTES, 20)
  if (bytes > MAX_COMMIT_BYTES) throw new EventTooLarge({ bytes, limitBytes: MAX_COMMIT_BYTES })
  return {
    decoded: input.events,
    stream: input.stream,
    streamName: parsed,
    expectedRevision: expected,
    commandId: input.commandId,
    events,
    metadata: metadataExit.value,
    canonical
  }
}

/**
 * Decode one stored commit. `globalPosition` is where the store found it; an
 * envelope that claims another position was moved or forged.
 */
export const decodeCommit = (raw: unknown, globalPosition: number): ReadonlyArray<RecordedEvent> => {
  const exit = decodeStoredCommit(raw)
  if (Exit.isFailure(exit)) throw new CorruptEvent({ globalPosition, reason: failureMessage(exit) })
  for (const event of exit.value.events) {
    if (event.globalPosition !== globalPosition) {
      throw new CorruptEvent({ globalPosition, reason: `envelope claims position ${event.globalPosition}` })
    }
    if (event.commitSize !== exit.value.events.length) {
      throw new CorruptEvent({ globalPosition, reason: `envelope says ${event.commitSize} events, commit holds ${exit.value.events.length}` })
    }
    if (event.type !== event.data._tag) {
      throw new CorruptEvent({ globalPosition, reason: `envelope type ${event.type} differs from data ${event.data._tag}` })
    }
  }
  return exit.value.events
}

/**
 * The decoded view of a commit we just sealed. The domain events were
 * validated by encoding them, so the caller's values are the decoded data;
 * the rest of the envelope is copied from what was sealed.
 */
export const sealedToRecorded = (
  sealed: ReadonlyArray<EncodedRecordedEvent>,
  events: ReadonlyArray<RecordedEvent["data"]>
): ReadonlyArray<RecordedEvent> =>
  sealed.map((envelope, i) => ({ ...envelope, data: events[i]!, metadata: { ...envelope.metadata } }) as RecordedEvent)

// One per process: constructing it per message showed in replay profiles.
const utf8Decoder = new TextDecoder()

/**
 * A sealed commit's stored text (sealCommit's `json`) as the message's bytes.
 * `Buffer.from` rather than `TextEncoder.encode`: the same UTF-8 (a lone
 * surrogate becomes U+FFFD in both; canonical JSON escapes them anyway), in
 * ~0.26 against ~0.96 µs for a 565-byte commit (Node 24, measured), because
 * a small Buffer is a slice of a shared pool instead of a new ArrayBuffer.
 * Every append encodes one. The bytes are only read (published, hashed).
 */
export const commitTextBytes = (json: string): Uint8Array => Buffer.from(json, "utf8")

/** A stored message's bytes as text (what the reader parses; a verifier hashes the bytes themselves: storedText.ts). */
export const commitText = (bytes: Uint8Array): string => utf8Decoder.decode(bytes)

export const parseCommitText = (text: string, globalPosition: number): unknown => {
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new CorruptEvent({ globalPosition, reason: `not JSON: ${(e as Error).message}` })
  }
}

/** The revision a stream has after its last event at `streamPosition`. */
export const describeRevision = (revision: number | undefined): string =>
  revision === undefined ? "no_stream" : String(revision)
