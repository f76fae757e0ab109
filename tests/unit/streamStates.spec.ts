import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { foldedStream, streamStates, type StreamFold } from "../../commands/streamStates"
import { EventStore } from "../../domain/ports"
import { layerInMemory } from "../../infra/eventStore/inMemory"
import { budgetEscrowed } from "../support/events"

/**
 * The fact loaders keep each stream's folded state and fold on from it: the
 * store is asked only for the events after the last one folded, and the
 * state is always the fold of the whole stream as the store has it.
 */
const run = <A, E>(effect: Effect.Effect<A, E, EventStore>) => Effect.runPromise(effect.pipe(Effect.provide(layerInMemory())))

/** Every amount escrowed on the stream, in order, and how many events the fold took. */
const amounts: StreamFold<{ readonly amounts: ReadonlyArray<bigint>; readonly folded: number }> = {
  name: "amounts",
  initial: { amounts: [], folded: 0 },
  evolve: (s, e) => ({ amounts: e.data._tag === "BudgetEscrowed" ? [...s.amounts, e.data.amount] : s.amounts, folded: s.folded + 1 })
}
const count: StreamFold<number> = { name: "count", initial: 0, evolve: (n) => n + 1 }

const withSpy = Effect.gen(function* () {
  const store = yield* EventStore
  const asked: Array<{ readonly fromRevision?: number; readonly after?: number } | undefined> = []
  const spy: EventStore["Service"] = { ...store, readStream: (stream, options) => (asked.push(options), store.readStream(stream, options)) }
  const append = (i: number) => store.append({ stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", BigInt(i))], commandId: `c${i}` })
  const fold = <S>(f: StreamFold<S>, states: ReturnType<typeof streamStates>) => foldedStream(f, "ledger-T1", states).pipe(Effect.provideService(EventStore, spy))
  return { asked, append, fold }
})

describe("stream states (fact loaders' folds)", () => {
  it("given a stream folded once, when more is appended, then only the newer events are read and folded on, to the whole stream's state", () =>
    run(
      Effect.gen(function* () {
        const { asked, append, fold } = yield* withSpy
        const states = streamStates()
        expect(yield* fold(amounts, states)).toEqual(amounts.initial)
        for (const i of [1, 2, 3]) yield* append(i)
        expect(yield* fold(amounts, states)).toEqual({ amounts: [1n, 2n, 3n], folded: 3 })
        yield* append(4)
        yield* append(5)
        // Folded on from the state held: five events folded in all, not eight.
        expect(yield* fold(amounts, states)).toEqual({ amounts: [1n, 2n, 3n, 4n, 5n], folded: 5 })
        expect(asked[0]).toBeUndefined()
        expect(asked[1]).toBeUndefined()
        expect(asked[2]).toMatchObject({ fromRevision: 3 })
        // Nothing newer: one question, the same state.
        expect(yield* fold(amounts, states)).toEqual({ amounts: [1n, 2n, 3n, 4n, 5n], folded: 5 })
        expect(asked[3]).toMatchObject({ fromRevision: 5 })
        // Another fold of the same stream is its own entry.
        expect(yield* fold(count, states)).toBe(5)
        expect(asked[4]).toBeUndefined()
      })
    ))

  it("given more streams than the cache holds, then a fold let go is folded again from the start, with the same answer", () =>
    run(
      Effect.gen(function* () {
        const { asked, append, fold } = yield* withSpy
        const states = streamStates(2)
        for (const i of [1, 2]) yield* append(i)
        expect(yield* fold(amounts, states)).toEqual({ amounts: [1n, 2n], folded: 2 })
        // Two more entries (other folds of the stream, read past the spy) push the first out of a cache of two.
        yield* foldedStream(count, "ledger-T1", states)
        yield* foldedStream({ ...count, name: "count again" }, "ledger-T1", states)
        expect(yield* fold(amounts, states)).toEqual({ amounts: [1n, 2n], folded: 2 })
        expect(asked).toEqual([undefined, undefined])
      })
    ))

  it("given two folds at once from the same state, then both answer the whole stream and the cache keeps a consistent pair", () =>
    run(
      Effect.gen(function* () {
        const { append, fold } = yield* withSpy
        const states = streamStates()
        yield* append(1)
        yield* fold(amounts, states)
        yield* append(2)
        const [a, b] = yield* Effect.all([fold(amounts, states), fold(amounts, states)], { concurrency: 2 })
        expect([a, b]).toEqual([{ amounts: [1n, 2n], folded: 2 }, { amounts: [1n, 2n], folded: 2 }])
        yield* append(3)
        expect(yield* fold(amounts, states)).toEqual({ amounts: [1n, 2n, 3n], folded: 3 })
      })
    ))
})
