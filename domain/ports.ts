import { Context, Schema, type Effect, type Stream } from "effect"
import type { DomainEvent } from "./events"
import type { EventMetadata, RecordedEvent } from "./recordedEvent"

// ---------------------------------------------------------------------------
// Event store errors. Every adapter fails with exactly these.
// ---------------------------------------------------------------------------

/** The stream moved on since the caller read it (optimistic concurrency). Nothing was stored. */
export class WrongExpectedVersion extends Schema.TaggedError<WrongExpectedVersion>()("WrongExpectedVersion", {
  stream: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {}

/** Reading a stream that has no events. */
export class StreamNotFound extends Schema.TaggedError<StreamNotFound>()("StreamNotFound", {
  stream: Schema.String
}) {}

/**
 * A StreamNotFound as the stores answer it: without a stack trace. It is an
 * answer, not a fault (every command on a new stream reads one, and the
 * handler folds it to the initial state), and capturing the stack made
 * its construction cost ~5 µs instead of ~0.8.
 */
export const streamNotFound = (stream: string): StreamNotFound => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new StreamNotFound({ stream })
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** The event, its type or the stream name is not acceptable; nothing was stored. */
export class InvalidEvent extends Schema.TaggedError<InvalidEvent>()("InvalidEvent", {
  reason: Schema.String,
  eventType: Schema.optional(Schema.String)
}) {}

/** A command id was reused for a different stream; the first use stands. */
export class CommandIdReused extends Schema.TaggedError<CommandIdReused>()("CommandIdReused", {
  commandId: Schema.String,
  stream: Schema.String,
  storedStream: Schema.String
}) {}

/** A stored message does not decode as a commit of catalogue events. */
export class CorruptEvent extends Schema.TaggedError<CorruptEvent>()("CorruptEvent", {
  globalPosition: Schema.Number,
  reason: Schema.String
}) {}

/** A commit larger than the store's message limit; nothing was stored. Not retryable as is. */
export class EventTooLarge extends Schema.TaggedError<EventTooLarge>()("EventTooLarge", {
  bytes: Schema.Number,
  limitBytes: Schema.Number
}) {}

/** The store could not be reached or answered with an infrastructure error. Safe to retry. */
export class EventStoreUnavailable extends Schema.TaggedError<EventStoreUnavailable>()("EventStoreUnavailable", {
  reason: Schema.String
}) {}

export type AppendError = WrongExpectedVersion | InvalidEvent | CommandIdReused | EventTooLarge | EventStoreUnavailable
export type ReadError = EventStoreUnavailable | CorruptEvent

// ---------------------------------------------------------------------------
// Event store port
// ---------------------------------------------------------------------------

/**
 * What the caller believes the stream looks like:
 * - a number: the stream position of its last event (the stream's revision),
 * - `"no_stream"`: the stream must not exist yet,
 * - `"any"`: no check (positions stay dense; the store retries races itself).
 */
export type ExpectedRevision = number | "no_stream" | "any"

export interface AppendInput {
  readonly stream: string
  readonly expectedRevision: ExpectedRevision
  /** The events one command decided. Stored atomically, all or none. */
  readonly events: ReadonlyArray<DomainEvent>
  /** Retrying with the same command id appends nothing new and returns the first result. */
  readonly commandId: string
  readonly metadata?: Omit<EventMetadata, "commandId">
}

export interface AppendResult {
  readonly globalPosition: number
  /** The stream's revision after this commit: pass it as the next expectedRevision. */
  readonly nextExpectedRevision: number
  readonly events: ReadonlyArray<RecordedEvent>
  /** True when this command id had been appended before (idempotent retry). */
  readonly duplicate: boolean
}

/**
 * One entry of the log as stored: a sealed commit, or a foreign message (bytes
 * on the log's subjects that are not a sealed commit at that position, e.g.
 * written around the API with stolen credentials). Foreign messages are never
 * part of the hash chain: the next commit links over them. Readers skip them
 * and report them; the audit lists them with their position.
 */
export type LogEntry =
  | { readonly _tag: "Commit"; readonly events: ReadonlyArray<RecordedEvent> }
  | { readonly _tag: "Foreign"; readonly globalPosition: number; readonly stream: string; readonly reason: string }

/**
 * Messages of the log as stored, bytes only, in order: what a verifier that
 * decodes them elsewhere (on other threads) reads. Plain data but `streamAt`.
 */
export interface StoredLogBatch {
  /** The messages' bytes, one after another. */
  readonly bytes: Uint8Array
  /** Where each message's bytes end in `bytes` (the next one's start). */
  readonly ends: Uint32Array
  /** Each message's global position. */
  readonly positions: Float64Array
  /** The stream message `index` was written to, as a foreign entry names it. */
  readonly streamAt: (index: number) => string
}

export interface ReadAllOptions {
  /** First commit position to include (1 = the beginning). */
  readonly fromPosition?: number
  /** Only events of this aggregate (`task`, `model`, …) or of this one stream. */
  readonly aggregate?: string
  readonly stream?: string
}

/**
 * The append-only event log. Every adapter (JetStream, EventStoreDB,
 * in-memory) passes the same contract suite (`tests/contract/eventStore.ts`).
 */
export class EventStore extends Context.Service<
  EventStore,
  {
    /** Append one command's events atomically with optimistic concurrency. */
    readonly append: (input: AppendInput) => Effect.Effect<AppendResult, AppendError>
    /**
     * The events of one stream from `fromRevision` (0: all), in stream order.
     * `after`: the global position of the stream's event at `fromRevision − 1`,
     * when the caller holds it (a cache of the stream): an adapter may start
     * its scan there rather than at the stream's beginning. Only a hint: the
     * answer is the same with or without it, a wrong one included.
     */
    readonly readStream: (
      stream: string,
      options?: { readonly fromRevision?: number; readonly after?: number }
    ) => Effect.Effect<ReadonlyArray<RecordedEvent>, StreamNotFound | ReadError | InvalidEvent>
    /** The log in global order from a position up to its end at the time of the call. */
    readonly readAll: (options?: ReadAllOptions) => Stream.Stream<RecordedEvent, ReadError | InvalidEvent>
    /** Catch-up then live: history from the position, then new events as they commit. Never ends by itself. */
    readonly subscribe: (options?: ReadAllOptions) => Stream.Stream<RecordedEvent, ReadError | InvalidEvent>
    /** The log as stored, commits and foreign messages, in order, up to its end at the time of the call (audits, the bridge). */
    readonly readLog: (options?: ReadAllOptions) => Stream.Stream<LogEntry, ReadError | InvalidEvent>
    /**
     * `readLog`'s messages undecoded, a batch per chunk, for verifiers that
     * decode on other threads. Only adapters that hold each message's bytes
     * offer it (JetStream); the others' logs are verified through `readLog`.
     */
    readonly readStoredLog?: (options?: ReadAllOptions) => Stream.Stream<StoredLogBatch, ReadError | InvalidEvent>
    /** Position of the last commit (0 when the log is empty). */
    readonly headPosition: Effect.Effect<number, EventStoreUnavailable>
  }
>()("EventStore") {}
