import { Effect, Stream } from "effect"
import { EventStore } from "../domain/ports"
import type { RecordedEvent } from "../domain/recordedEvent"
import { perStore } from "./perStore"

/**
 * Facts over every stream of an aggregate (all bonded stake, every staked
 * validator) kept as a running fold per store: a call reads only the
 * aggregate's events appended since the last call, from where that one
 * stopped. Before, each governance vote and each scoring draw read and
 * folded the whole node (and task) aggregate again: its cost grew with the
 * network's whole history.
 *
 * A fold is pure over its state's copy: `resume` copies the held state
 * before new events are applied in place, so two calls reading at once
 * never apply an event twice to one state (and the newest position wins).
 */
export interface AggregateFold<S> {
  /** Names the fold in the cache (one per purpose and aggregate). */
  readonly name: string
  readonly aggregate: string
  readonly initial: () => S
  /** A copy of a held state that `apply` may change in place. */
  readonly resume: (held: S) => S
  readonly apply: (state: S, event: RecordedEvent) => void
}

interface Held {
  readonly position: number
  readonly state: unknown
}

const foldsOf = perStore(() => new Map<string, Held>())

/** The fold's state over every event of its aggregate in the store now. */
export const foldAggregate = <S>(fold: AggregateFold<S>) =>
  EventStore.use((store) => {
    const cache = foldsOf(store)
    const held = cache.get(fold.name)
    const state = held ? fold.resume(held.state as S) : fold.initial()
    let position = held?.position ?? 0
    return Stream.runForEachArray(store.readAll({ aggregate: fold.aggregate, fromPosition: position + 1 }), (events) =>
      Effect.sync(() => {
        for (const e of events) {
          fold.apply(state, e)
          position = e.globalPosition
        }
      })
    ).pipe(
      Effect.map(() => {
        if (position > (cache.get(fold.name)?.position ?? 0)) cache.set(fold.name, { position, state })
        return state
      })
    )
  })
