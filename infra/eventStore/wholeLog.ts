import { Effect, Stream } from "effect"
import type { EventStore, InvalidEvent, LogEntry, ReadAllOptions, ReadError, StoredLogBatch } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import type { ChainVerification } from "./hashChain"
import { checkStoredBatchOnThread } from "./hashCheckPool"
import { parallelChainVerifier } from "./parallelVerifier"
import { verdictStitcher, type StoredBatchVerdict } from "./storedLogCheck"

export type ForeignMessage = Extract<LogEntry, { _tag: "Foreign" }>

export interface LogContents {
  readonly events: ReadonlyArray<RecordedEvent>
  /** Messages on the log that are not sealed commits, with their positions. */
  readonly foreign: ReadonlyArray<ForeignMessage>
}

/**
 * The log (or a range of it) as stored, sealed events and foreign messages
 * apart: what audits, chain verification and the bridge read. `toPosition`
 * stops the read after that position.
 */
export const readWholeLog = (store: EventStore["Service"], options: ReadAllOptions & { readonly toPosition?: number } = {}) =>
  Effect.map(
    Stream.runCollect(
      store.readLog(options).pipe(
        Stream.takeWhile((entry) => options.toPosition === undefined || positionOf(entry) <= options.toPosition)
      )
    ),
    (entries): LogContents => {
      const contents = { events: [] as Array<RecordedEvent>, foreign: [] as Array<ForeignMessage> }
      sortEntries(entries, contents)
      return contents
    }
  )

/** Each entry to its list: a commit's events, or a foreign message. */
const sortEntries = (entries: Iterable<LogEntry>, into: { readonly events: Array<RecordedEvent>; readonly foreign: Array<ForeignMessage> }): void => {
  for (const entry of entries) {
    if (entry._tag === "Commit") for (const e of entry.events) into.events.push(e)
    else into.foreign.push(entry)
  }
}

const positionOf = (entry: LogEntry): number => (entry._tag === "Commit" ? entry.events[0]!.globalPosition : entry.globalPosition)

/** Batches in flight before the reader waits (at most this many batches' bytes are held at once). */
const MAX_IN_FLIGHT = 4

/**
 * The whole log as stored, its hash chain verified as it is read (what `GET
 * /events/verify` answers), and the foreign messages listed (outside the
 * chain: the next commit links over them). Where the adapter hands over the
 * stored bytes (`readStoredLog`: JetStream), each batch is decoded and
 * verified on a worker thread while the next is read (storedLogCheck.ts),
 * and the batches' verdicts are joined here in order: this thread only
 * reads. Elsewhere the log is read decoded, and its hashing alone goes to
 * the threads (`parallelChainVerifier`). Either way no more than a few
 * batches are held at once, and the answer is `chainVerifier`'s.
 */
export const verifyWholeLog = (store: EventStore["Service"]) => (store.readStoredLog ? verifyStoredLog(store.readStoredLog()) : verifyDecodedLog(store))

const verifyStoredLog = (batches: Stream.Stream<StoredLogBatch, ReadError | InvalidEvent>) =>
  Effect.gen(function* () {
    const stitcher = verdictStitcher()
    const foreign: Array<ForeignMessage> = []
    const inFlight: Array<{ readonly batch: StoredLogBatch; readonly verdict: Promise<StoredBatchVerdict> }> = []
    // The oldest batch's verdict, joined in order.
    const settleOldest = Effect.promise(async () => {
      const { batch, verdict } = inFlight.shift()!
      const answer = await verdict
      for (const f of answer.foreign) foreign.push({ _tag: "Foreign", globalPosition: batch.positions[f.index]!, stream: batch.streamAt(f.index), reason: f.reason })
      stitcher.add(answer)
    })
    yield* Stream.runForEach(batches, (batch) => {
      inFlight.push({ batch, verdict: checkStoredBatchOnThread({ bytes: batch.bytes, ends: batch.ends, positions: batch.positions }) })
      return inFlight.length >= MAX_IN_FLIGHT ? settleOldest : Effect.void
    })
    while (inFlight.length > 0) yield* settleOldest
    return { ...stitcher.result(), foreignMessages: foreign }
  })

const verifyDecodedLog = (store: EventStore["Service"]) =>
  Effect.gen(function* () {
    const verifier = parallelChainVerifier()
    const foreign: Array<ForeignMessage> = []
    yield* Stream.runForEachArray(store.readLog(), (entries) => {
      const batch = { events: [] as Array<RecordedEvent>, foreign }
      sortEntries(entries, batch)
      const wait = verifier.push(batch.events)
      return wait ? Effect.promise(() => wait) : Effect.void
    })
    const verification: ChainVerification = yield* Effect.promise(() => verifier.result())
    return { ...verification, foreignMessages: foreign }
  })
