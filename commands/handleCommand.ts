import { Effect, Result, Schema } from "effect"
import type { Decider } from "../domain/decider"
import type { DomainEvent } from "../domain/events"
import { EventStore, type AppendResult } from "../domain/ports"
import type { EventMetadata, RecordedEvent } from "../domain/recordedEvent"

export class ConcurrencyRetriesExhausted extends Schema.TaggedError<ConcurrencyRetriesExhausted>()("ConcurrencyRetriesExhausted", {
  stream: Schema.String,
  attempts: Schema.Number
}) {}

export interface CommandOutcome {
  readonly stream: string
  readonly globalPosition: number
  readonly nextExpectedRevision: number
  readonly events: ReadonlyArray<RecordedEvent>
  /** True when this command had already been handled: nothing new was appended. */
  readonly duplicate: boolean
}

const MAX_ATTEMPTS = 12

/**
 * Folded state per stream, checked against the stream's last revision: a
 * command reads only the events appended after the state it has (emmett and
 * the KurrentDB clients do the same). Per store and decider (tests run many
 * stores with the same stream names), bounded (least recently used out).
 * Safe because `evolve` never mutates a state (every aggregate copies).
 * The command ids seen on the stream answer "already handled?" without a
 * full read; a duplicate takes the full read to answer with its events.
 */
interface Folded {
  readonly revision: number
  readonly state: unknown
  readonly commandIds: Set<string>
}
/**
 * The stream's command ids, grown in place (copying them per command would
 * cost the stream's length on every command). Sharing one set across a
 * stream's entries is safe: an id is only ever added once its events are on
 * the stream, and a handler only asks about its own id, so an older entry
 * seeing a newer id can at worst take the full read that answers it exactly.
 */
const withIds = (ids: Set<string> | undefined, more: ReadonlyArray<string>): Set<string> => {
  const set = ids ?? new Set<string>()
  for (const id of more) set.add(id)
  return set
}
const CACHED_STREAMS = 10_000
const folded = new WeakMap<object, WeakMap<object, Map<string, Folded>>>()
const foldedOf = (store: object, decider: object): Map<string, Folded> => {
  let byDecider = folded.get(store)
  if (!byDecider) folded.set(store, (byDecider = new WeakMap()))
  let streams = byDecider.get(decider)
  if (!streams) byDecider.set(decider, (streams = new Map()))
  return streams
}
const remember = (streams: Map<string, Folded>, stream: string, entry: Folded) => {
  streams.delete(stream)
  streams.set(stream, entry)
  if (streams.size > CACHED_STREAMS) streams.delete(streams.keys().next().value!)
}

/**
 * Emmett's command-handling loop: read what is new on the stream, fold it
 * onto the state we have (see `Folded`), decide, append with the revision we
 * read. A concurrent writer makes the append fail with
 * WrongExpectedVersion; then we re-read and decide again (bounded), because
 * the decision may differ on the newer state.
 *
 * Idempotency is checked against the stream itself before deciding: if events
 * of this command id are already there (the command ids seen on it), they are
 * the answer. That holds
 * forever, not only inside JetStream's duplicate window, and it answers a
 * retry even when deciding again would now fail (e.g. "already registered").
 */
export const handleCommand = Effect.fn("handleCommand")(function* <C, E extends DomainEvent, S, Err>(
  decider: Decider<C, E, S, Err>,
  stream: string,
  command: C,
  metadata: EventMetadata
) {
  const store = yield* EventStore
  const streams = foldedOf(store, decider)
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const known = streams.get(stream)
    const tail = yield* store.readStream(stream, known ? { fromRevision: known.revision + 1 } : undefined).pipe(
      Effect.catchTag("StreamNotFound", () => Effect.succeed([] as ReadonlyArray<RecordedEvent>))
    )
    const now: Folded | undefined =
      tail.length === 0
        ? known
        : {
            revision: tail[tail.length - 1]!.streamPosition,
            state: tail.reduce((s, e) => decider.evolve(s, e.data as E), (known?.state as S | undefined) ?? decider.initialState),
            commandIds: withIds(known?.commandIds, tail.map((e) => e.metadata.commandId))
          }
    if (now && now !== known) remember(streams, stream, now)
    if (now?.commandIds.has(metadata.commandId)) {
      // Handled before: answer with its events (a full read; duplicates are rare).
      const history = yield* store.readStream(stream)
      const earlier = history.filter((e) => e.metadata.commandId === metadata.commandId)
      const last = history[history.length - 1]!
      return {
        stream,
        globalPosition: earlier[0]!.globalPosition,
        nextExpectedRevision: last.streamPosition,
        events: earlier,
        duplicate: true
      } satisfies CommandOutcome
    }
    const state = (now?.state as S | undefined) ?? decider.initialState
    const decision = decider.decide(command, state)
    if (Result.isFailure(decision)) return yield* Effect.fail(decision.failure)
    const expectedRevision = now === undefined ? ("no_stream" as const) : now.revision
    const appended = yield* store
      .append({ stream, expectedRevision, events: decision.success, commandId: metadata.commandId, metadata })
      .pipe(
        Effect.map((r): AppendResult | undefined => r),
        Effect.catchTag("WrongExpectedVersion", () => Effect.succeed(undefined))
      )
    if (!appended) {
      // Another writer got there first: back off a little (jittered, growing)
      // so concurrent writers on one hot stream stop colliding in lockstep.
      // Exponential and capped: a burst of a coordinator's commands on a task
      // stream must not exhaust a joiner's attempts in well under a second.
      yield* Effect.sleep(Math.floor(Math.random() * Math.min(250, 5 * 2 ** attempt)))
      continue
    }
    if (!appended.duplicate) {
      remember(streams, stream, {
        revision: appended.nextExpectedRevision,
        state: appended.events.reduce((s, e) => decider.evolve(s, e.data as E), state),
        commandIds: withIds(now?.commandIds, [metadata.commandId])
      })
    }
    return {
      stream,
      globalPosition: appended.globalPosition,
      nextExpectedRevision: appended.nextExpectedRevision,
      events: appended.events,
      duplicate: appended.duplicate
    } satisfies CommandOutcome
  }
  return yield* Effect.fail(new ConcurrencyRetriesExhausted({ stream, attempts: MAX_ATTEMPTS }))
})
