import { Array as Arr, Effect, Stream } from "effect"
import {
  CommandIdReused,
  CorruptEvent,
  EventStore,
  EventStoreUnavailable,
  EventTooLarge,
  InvalidEvent,
  StreamNotFound,
  WrongExpectedVersion,
  type AppendResult,
  type LogEntry,
  type ReadAllOptions,
  type StoredLogBatch
} from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { isAggregateName, parseStreamName } from "../../domain/streamName"
import { prepareAppend, type PreparedAppend } from "./codec"

/**
 * What an adapter implements: the log in promise form, over validated input.
 * Adapters throw the port's tagged errors; `toEventStore` turns everything
 * else into EventStoreUnavailable, so the service's error channel stays exact.
 */
export interface LogBackend {
  append(prepared: PreparedAppend): Promise<AppendResult>
  /** `after`: the caller's hint (the port's readStream); adapters that cannot use it ignore it. */
  readStream(stream: string, fromRevision: number, after?: number): Promise<ReadonlyArray<RecordedEvent>>
  /**
   * Commits and foreign messages in global order, in batches (whatever the
   * adapter has at hand at once; readers take a batch in one step); finite
   * for read, endless for subscribe. `keepStored`: keep each event's stored
   * bytes beside it for a verifier (storedText.ts); only the log as stored
   * (`readLog`: audits, `GET /events/verify` where `storedBatches` is absent) asks for them. Adapters that
   * do not hold stored bytes ignore it.
   */
  entries(options: ValidatedReadOptions, mode: "read" | "subscribe", keepStored?: boolean): AsyncIterable<ReadonlyArray<LogEntry>>
  /** `entries` to the log's end undecoded (the port's `readStoredLog`), where the adapter holds each message's bytes. */
  storedBatches?(options: ValidatedReadOptions): AsyncIterable<StoredLogBatch>
  headPosition(): Promise<number>
}

export interface ValidatedReadOptions {
  readonly fromPosition: number
  readonly aggregate?: string
  readonly stream?: string
}

type Known = WrongExpectedVersion | StreamNotFound | InvalidEvent | CommandIdReused | CorruptEvent | EventTooLarge | EventStoreUnavailable
const KNOWN = new Set(["WrongExpectedVersion", "StreamNotFound", "InvalidEvent", "CommandIdReused", "CorruptEvent", "EventTooLarge", "EventStoreUnavailable"])

const toKnown = (error: unknown): Known =>
  typeof error === "object" && error !== null && "_tag" in error && KNOWN.has(String(error._tag))
    ? (error as Known)
    : new EventStoreUnavailable({ reason: error instanceof Error ? error.message : String(error) })

const validateReadOptions = (options: ReadAllOptions = {}): ValidatedReadOptions => {
  const fromPosition = options.fromPosition ?? 1
  if (!Number.isSafeInteger(fromPosition) || fromPosition < 1) {
    throw new InvalidEvent({ reason: `fromPosition must be an integer >= 1; got ${String(options.fromPosition)}` })
  }
  if (options.stream !== undefined) {
    const parsed = parseStreamName(options.stream)
    if ("invalid" in parsed) throw new InvalidEvent({ reason: parsed.invalid })
    return { fromPosition, stream: options.stream, aggregate: parsed.aggregate }
  }
  if (options.aggregate !== undefined && !isAggregateName(options.aggregate)) {
    throw new InvalidEvent({ reason: `aggregate "${options.aggregate}" is not an aggregate name` })
  }
  return options.aggregate === undefined ? { fromPosition } : { fromPosition, aggregate: options.aggregate }
}

/**
 * The batches of `source` through `f`, empty results skipped. A plain
 * iterator, not an async generator: `return()` (a reader interrupted) must
 * reach the source at once, even while it waits for the next batch of a
 * subscription; a generator would queue it behind that wait.
 */
const mapBatches = <A, B>(source: AsyncIterable<ReadonlyArray<A>>, f: (batch: ReadonlyArray<A>) => ReadonlyArray<B>): AsyncIterable<Arr.NonEmptyReadonlyArray<B>> => ({
  [Symbol.asyncIterator]() {
    const it = source[Symbol.asyncIterator]()
    return {
      async next(): Promise<IteratorResult<Arr.NonEmptyReadonlyArray<B>>> {
        for (;;) {
          const r = await it.next()
          if (r.done) return { done: true, value: undefined }
          const out = f(r.value)
          if (Arr.isReadonlyArrayNonEmpty(out)) return { done: false, value: out }
        }
      },
      async return(): Promise<IteratorResult<Arr.NonEmptyReadonlyArray<B>>> {
        await it.return?.()
        return { done: true, value: undefined }
      }
    }
  }
})

/**
 * A stream of the backend's entries mapped batch by batch: each batch is one
 * chunk downstream, so a reader that takes chunks (runForEachArray: the
 * projector, the coordinator) pays one step per batch, not per event; the
 * per-event steps (one inner stream per commit) cost more than decoding.
 */
const batchStream = <B>(
  backend: LogBackend,
  options: ReadAllOptions | undefined,
  mode: "read" | "subscribe",
  f: (batch: ReadonlyArray<LogEntry>) => ReadonlyArray<B>,
  keepStored = false
) => backendStream(options, (validated) => mapBatches(backend.entries(validated, mode, keepStored), f)).pipe(Stream.flattenArray)

/** What a backend reads for the options once they are validated, as a stream: an invalid option or a failed read fails it with its known error. */
const backendStream = <A>(options: ReadAllOptions | undefined, read: (validated: ValidatedReadOptions) => AsyncIterable<A>) =>
  Stream.unwrap(
    Effect.try({ try: () => validateReadOptions(options), catch: toKnown }).pipe(Effect.map((validated) => Stream.fromAsyncIterable(read(validated), toKnown)))
  ) as Stream.Stream<A, CorruptEvent | EventStoreUnavailable | InvalidEvent>

/**
 * The log as stored, for its verifiers: each event keeps its stored bytes,
 * so a verifier hashes them as stored. Replays (`readAll`) and
 * subscriptions do not keep them. Each kept commit takes entries in a
 * WeakMap (storedText.ts), and V8's young-generation collections pay for
 * such entries (a scratch loop of 8 million WeakMap keys spent 1,038 ms in
 * scavenges, against 38 ms without): with them, the API's own subscription
 * at 1,000 commands/s made each scavenge promote ~3.0-3.8 MB against
 * ~0.75-2.9 MB and pause 6-22 ms against 2-8 ms (two A/B sessions), and a
 * rebuild ran 10-20 % slower.
 */
const entryStream = (backend: LogBackend, options: ReadAllOptions | undefined, mode: "read" | "subscribe") =>
  batchStream(backend, options, mode, (batch) => batch, true)

/** The backend's stored batches, each one chunk downstream. */
const storedStream = (backend: LogBackend, options: ReadAllOptions | undefined): Stream.Stream<StoredLogBatch, CorruptEvent | EventStoreUnavailable | InvalidEvent> =>
  backendStream(options, (validated) => backend.storedBatches!(validated))

/** Each foreign message is reported once per process (the audit lists them all). */
const reported = new Set<number>()
export const reportForeign = (entry: Extract<LogEntry, { _tag: "Foreign" }>, report: (line: string) => void = console.warn) => {
  if (reported.has(entry.globalPosition)) return
  if (reported.size > 100_000) reported.clear()
  reported.add(entry.globalPosition)
  report(`[event-store] skipping foreign message at position ${entry.globalPosition} (${entry.stream}): ${entry.reason}`)
}

/** Events only: foreign messages are skipped (and reported), never fatal to a reader. */
const commitStream = (backend: LogBackend, options: ReadAllOptions | undefined, mode: "read" | "subscribe") =>
  batchStream(backend, options, mode, (batch) => {
    const events: Array<RecordedEvent> = []
    for (const entry of batch) {
      if (entry._tag === "Commit") for (const e of entry.events) events.push(e)
      else reportForeign(entry)
    }
    return events
  })

/**
 * Wrap a backend as the EventStore service (the Effect edge). Untraced, as
 * the command handler and its fact loaders are: no tracer is installed, and
 * a named `Effect.fn` builds a span on every call anyway (a share of an
 * append's allocations in a heap profile).
 */
export const toEventStore = (backend: LogBackend): EventStore["Service"] => ({
  // One effect, not a generator of two: validation throws synchronously into
  // the same catch (tryPromise takes a throw from `try` as its failure).
  append: ((input) => Effect.tryPromise({ try: () => backend.append(prepareAppend(input)), catch: toKnown })) as EventStore["Service"]["append"],
  readStream: Effect.fnUntraced(function* (stream, options) {
    const fromRevision = options?.fromRevision ?? 0
    const parsed = parseStreamName(String(stream))
    if ("invalid" in parsed) return yield* new InvalidEvent({ reason: parsed.invalid })
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) return yield* new InvalidEvent({ reason: `fromRevision must be a non-negative integer; got ${String(fromRevision)}` })
    // A hint that cannot be a position is no hint.
    const after = options?.after !== undefined && Number.isSafeInteger(options.after) && options.after > 0 ? options.after : undefined
    return yield* Effect.tryPromise({ try: () => backend.readStream(stream, fromRevision, after), catch: toKnown })
  }) as EventStore["Service"]["readStream"],
  readAll: (options) => commitStream(backend, options, "read"),
  subscribe: (options) => commitStream(backend, options, "subscribe"),
  readLog: (options) => entryStream(backend, options, "read"),
  ...(backend.storedBatches === undefined ? {} : { readStoredLog: (options?: ReadAllOptions) => storedStream(backend, options) }),
  headPosition: Effect.tryPromise({
    try: () => backend.headPosition(),
    catch: (e) => new EventStoreUnavailable({ reason: e instanceof Error ? e.message : String(e) })
  })
})
