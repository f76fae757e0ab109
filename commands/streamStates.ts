import { Effect } from "effect"
import { EventStore } from "../domain/ports"
import type { RecordedEvent } from "../domain/recordedEvent"
import { RecentMap } from "../infra/recentMap"
import { perStore } from "./perStore"

/**
 * A fold of one stream the fact loaders keep (what another aggregate's
 * state is, for a decision on this one): its name (one cache entry per fold
 * and stream), where it starts and how it takes one event.
 */
export interface StreamFold<S> {
  readonly name: string
  readonly initial: S
  readonly evolve: (state: S, event: RecordedEvent) => S
}

interface Held {
  readonly state: unknown
  readonly streamPosition: number
  readonly globalPosition: number
}

/** A cache of folded states as `foldedStream` keeps per store (for specs: their own, of any capacity). */
export const streamStates = (capacity = 4_096) => new RecentMap<string, Held>(capacity)

/**
 * Folded states per store, bounded by streams (a state is one value, not
 * its events). Before, each fact loader folded the stream's whole history
 * on every call: StartRound folded the task's and the model's streams from
 * their first event every round, so a round's facts cost grew with the
 * task's age.
 */
const statesOf = perStore(() => streamStates())

/**
 * The stream's state through `fold`, folding only the events newer than the
 * state held (the store is asked from the last event folded, with its
 * position as the `after` hint). Folds are pure, so two calls at once fold
 * from the same held state without harm; each keeps its state beside the
 * last event it folded, and the next call reads on from there. A stream
 * that does not exist yet is the fold's initial state.
 */
export const foldedStream = <S>(fold: StreamFold<S>, stream: string, given?: RecentMap<string, Held>) =>
  EventStore.use((store) => {
    const states = given ?? statesOf(store)
    const key = `${fold.name}\u0000${stream}`
    const last = states.get(key)
    return store.readStream(stream, last ? { fromRevision: last.streamPosition + 1, after: last.globalPosition } : undefined).pipe(
      Effect.map((newer) => {
        let state = (last?.state as S | undefined) ?? fold.initial
        for (const e of newer) state = fold.evolve(state, e)
        const end = newer[newer.length - 1]
        if (end) states.set(key, { state, streamPosition: end.streamPosition, globalPosition: end.globalPosition })
        return state
      }),
      Effect.catchTag("StreamNotFound", () => Effect.succeed(fold.initial))
    )
  })

/** A decider's state as a stream fold (its events are the envelopes' data). */
export const deciderFold = <E, S>(name: string, decider: { readonly initialState: S; readonly evolve: (state: S, event: E) => S }): StreamFold<S> => ({
  name,
  initial: decider.initialState,
  evolve: (state, event) => decider.evolve(state, event.data as E)
})
