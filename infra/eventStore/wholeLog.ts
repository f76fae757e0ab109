import { Effect, Stream } from "effect"
import type { EventStore, LogEntry, ReadAllOptions } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import type { ChainVerification } from "./hashChain"
import { parallelChainVerifier } from "./parallelVerifier"

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

/**
 * The whole log as stored, its hash chain verified as it is read (what `GET
 * /events/verify` answers): batch by batch through `parallelChainVerifier`,
 * so the hashing of one batch overlaps the reading and decoding of the next,
 * and no more than a few batches are held at once (the foreign messages are
 * listed, outside the chain: the next commit links over them).
 */
export const verifyWholeLog = (store: EventStore["Service"]) =>
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
