import { Effect, Result, Schema, Semaphore } from "effect"
import type { Decider } from "../domain/decider"
import type { DomainEvent } from "../domain/events"
import { EventStore, type AppendResult } from "../domain/ports"
import type { EventMetadata, RecordedEvent } from "../domain/recordedEvent"
import { RecentMap } from "../infra/recentMap"
import { perStore } from "./perStore"

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
 * stores with the same stream names), bounded (RecentMap: the most recently used streams stay).
 * Safe because `evolve` never mutates a state (every aggregate copies).
 * The command ids seen on the stream answer "already handled?" without a
 * full read; a duplicate takes the full read to answer with its events.
 */
interface Folded {
  readonly revision: number
  /** Global position of the event at `revision` (where a read of what is newer may start). */
  readonly position: number
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
const deciderFolds = perStore(() => new WeakMap<object, RecentMap<string, Folded>>())
const foldedOf = (store: object, decider: object): RecentMap<string, Folded> => {
  const byDecider = deciderFolds(store)
  let streams = byDecider.get(decider)
  if (!streams) byDecider.set(decider, (streams = new RecentMap(CACHED_STREAMS)))
  return streams
}

const foldTail = <S>(decider: { evolve: (s: S, e: never) => S; initialState: S }, known: Folded | undefined, tail: ReadonlyArray<RecordedEvent>): Folded | undefined =>
  tail.length === 0
    ? known
    : {
        revision: tail[tail.length - 1]!.streamPosition,
        position: tail[tail.length - 1]!.globalPosition,
        state: tail.reduce((s, e) => decider.evolve(s, e.data as never), (known?.state as S | undefined) ?? decider.initialState),
        commandIds: withIds(known?.commandIds, tail.map((e) => e.metadata.commandId))
      }

/**
 * Emmett's command-handling loop: fold what is new on the stream onto the
 * state we have (see `Folded`), decide, append with the revision we folded
 * to. A concurrent writer makes the append fail with WrongExpectedVersion;
 * then we re-read and decide again (bounded), because the decision may differ
 * on the newer state.
 *
 * With a folded state already at hand (this process wrote the stream last,
 * or the caller just read it: `history`), or none at all (a stream this
 * process has never seen is taken as new), the first attempt does not read
 * at all: the append's expected revision is the check. The API is the log's
 * only writer, so in one API process the state is current and a command
 * costs one round trip to the server instead of two; when another process
 * moved the stream, the append is refused and the next attempt reads. Only a
 * decision to append is taken on unread state: a refusal is checked against
 * the stream before it is answered, since newer events may make the command
 * valid.
 *
 * Idempotency is checked against the stream itself before deciding: if events
 * of this command id are already there (the command ids seen on it), they are
 * the answer. That holds
 * forever, not only inside JetStream's duplicate window, and it answers a
 * retry even when deciding again would now fail (e.g. "already registered");
 * a retry whose events another process appended is answered by the store
 * (duplicate message id, or its lookup after a refused expectation).
 */
export const handleCommand = <C, E extends DomainEvent, S, Err>(
  decider: Decider<C, E, S, Err>,
  stream: string,
  command: C,
  metadata: EventMetadata,
  /** The stream's whole history as the caller has just read it (saves the first read). */
  justRead?: ReadonlyArray<RecordedEvent>
) => EventStore.use((store) => inTurn(store, stream, decideAndAppend(store, decider, stream, command, metadata, justRead)))

/**
 * Commands on one stream take turns in this process. Concurrent commands on
 * a hot stream (a task's: results, votes and the coordinator's steps arrive
 * together) would otherwise decide on the same state; all but one append
 * would be refused by the server and each refusal cost a lookup of the
 * command on the stream, a read, a back-off and a second decision. In turn,
 * each decides on the state the previous one left (folded, no read).
 * Other processes still meet the server's expectations, as before.
 */
interface Turn {
  readonly semaphore: Semaphore.Semaphore
  holders: number
}
const turnsOf = perStore(() => new Map<string, Turn>())
const inTurn = <A, Err, R>(store: object, stream: string, effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err, R> =>
  Effect.suspend(() => {
    const streamsTurns = turnsOf(store)
    let turn = streamsTurns.get(stream)
    if (!turn) streamsTurns.set(stream, (turn = { semaphore: Semaphore.makeUnsafe(1), holders: 0 }))
    const mine = turn
    mine.holders++
    // The last one out removes the stream's entry: the map holds only streams with commands in flight.
    return Semaphore.withPermits(mine.semaphore, 1, effect).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          if (--mine.holders === 0) streamsTurns.delete(stream)
        })
      )
    )
  })

const decideAndAppend = Effect.fnUntraced(function* <C, E extends DomainEvent, S, Err>(
  store: EventStore["Service"],
  decider: Decider<C, E, S, Err>,
  stream: string,
  command: C,
  metadata: EventMetadata,
  justRead?: ReadonlyArray<RecordedEvent>
) {
  const streams = foldedOf(store, decider)
  if (justRead !== undefined && justRead.length > 0) {
    const have = streams.get(stream)
    const last = justRead[justRead.length - 1]!.streamPosition
    if (!have || have.revision < last) streams.set(stream, foldTail(decider, undefined, justRead)!)
  }
  // A stream this process holds nothing of (a caller's non-empty read was just kept above) is
  // taken as new on the first attempt: a command on a stream this process has never seen
  // mostly creates it (a dataset, a task, a model), and the append's "no stream" expectation
  // is the check, so it costs one round trip instead of a read and an append. A stream that
  // exists after all refuses the append, and the next attempt reads it; a decision that fails
  // on the empty state reads before it is answered (below).
  const takenAsNew = !streams.has(stream)
  // Whether the next attempt may decide on the state at hand without reading.
  let trustHeld = true
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const known = streams.get(stream)
    const unread = trustHeld && (known !== undefined || takenAsNew)
    trustHeld = false
    const tail = unread
      ? []
      : yield* store.readStream(stream, known ? { fromRevision: known.revision + 1, after: known.position } : undefined).pipe(
          Effect.catchTag("StreamNotFound", () => Effect.succeed([] as ReadonlyArray<RecordedEvent>))
        )
    const now = foldTail(decider, known, tail)
    if (now && now !== known) streams.set(stream, now)
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
    if (Result.isFailure(decision)) {
      // Refused on unread state: read, then decide again (no back-off: nothing collided).
      if (unread) {
        attempt--
        continue
      }
      return yield* Effect.fail(decision.failure)
    }
    const expectedRevision = now === undefined ? ("no_stream" as const) : now.revision
    const appended = yield* store
      .append({ stream, expectedRevision, events: decision.success, commandId: metadata.commandId, metadata })
      .pipe(
        Effect.map((r): AppendResult | undefined => r),
        Effect.catchTag("WrongExpectedVersion", () => Effect.succeed(undefined))
      )
    if (!appended) {
      // The state at hand was stale: read at once. Otherwise another writer
      // got there first: back off a little (jittered, growing) so concurrent
      // writers on one hot stream stop colliding in lockstep. Exponential and
      // capped: a burst of a coordinator's commands on a task stream must not
      // exhaust a joiner's attempts in well under a second.
      if (!unread) yield* Effect.sleep(Math.floor(Math.random() * Math.min(250, 5 * 2 ** attempt)))
      continue
    }
    if (!appended.duplicate) {
      streams.set(stream, {
        revision: appended.nextExpectedRevision,
        position: appended.events[appended.events.length - 1]!.globalPosition,
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
