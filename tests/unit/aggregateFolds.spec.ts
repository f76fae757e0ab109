import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { foldAggregate, type AggregateFold } from "../../commands/aggregateFolds"
import { EventStore, type ReadAllOptions } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { layerInMemory } from "../../infra/eventStore/inMemory"
import { budgetEscrowed, nodeRegistered } from "../support/events"

/**
 * Facts over a whole aggregate are running folds: each call reads only what
 * the aggregate gained since the last one, and always answers what a fold of
 * the whole aggregate would.
 */
const run = <A, E>(effect: Effect.Effect<A, E, EventStore>) => Effect.runPromise(effect.pipe(Effect.provide(layerInMemory())))

const escrowed: AggregateFold<{ total: bigint; events: number }> = {
  name: "spec:escrowed",
  aggregate: "ledger",
  initial: () => ({ total: 0n, events: 0 }),
  resume: (held) => ({ ...held }),
  apply: (s, e) => {
    if (e.data._tag === "BudgetEscrowed") s.total += e.data.amount
    s.events++
  }
}

describe("running folds over an aggregate", () => {
  it("given appends between calls, each call reads from where the last stopped and answers the whole aggregate's fold", () =>
    run(
      Effect.gen(function* () {
        const store = yield* EventStore
        const asked: Array<ReadAllOptions | undefined> = []
        const spy: EventStore["Service"] = { ...store, readAll: (options) => (asked.push(options), store.readAll(options)) }
        const fold = foldAggregate(escrowed).pipe(Effect.provideService(EventStore, spy))
        const whole = Effect.map(Stream.runCollect(store.readAll({ aggregate: "ledger" })), (events) => [...events].reduce((n, e: RecordedEvent) => n + (e.data._tag === "BudgetEscrowed" ? e.data.amount : 0n), 0n))
        const append = (stream: string, i: number) => store.append({ stream, expectedRevision: "any", events: [budgetEscrowed(stream, BigInt(i))], commandId: `${stream}-${i}` })

        expect(yield* fold).toEqual({ total: 0n, events: 0 })
        yield* append("ledger-A", 5)
        // Another aggregate's events are not the fold's.
        yield* store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "n1" })
        yield* append("ledger-B", 7)
        expect(yield* fold).toEqual({ total: 12n, events: 2 })
        yield* append("ledger-A", 30)
        const third = yield* fold
        expect(third).toEqual({ total: 42n, events: 3 })
        expect(third.total).toBe(yield* whole)
        expect(asked.map((o) => o?.fromPosition)).toEqual([1, 1, 4])
        // Two calls at once apply nothing twice.
        yield* append("ledger-C", 100)
        const [x, y] = yield* Effect.all([fold, fold], { concurrency: 2 })
        expect([x, y]).toEqual([{ total: 142n, events: 4 }, { total: 142n, events: 4 }])
        expect(yield* fold).toEqual({ total: 142n, events: 4 })
      })
    ))
})
