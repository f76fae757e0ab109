import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { history } from "../../../commands/facts"
import { EventStore } from "../../../domain/ports"
import { layerInMemory } from "../../../infra/eventStore/inMemory"
import { budgetEscrowed } from "../../support/events"

/**
 * Facts about other streams are read through `history`, which keeps what it
 * has read and asks the store only for what is new: it must always answer
 * the whole stream as it is now, whoever appended since.
 */
describe("history (facts of other streams)", () => {
  it("answers the whole stream as it is now: nothing, then each append, over several commits", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* EventStore
        const amounts = (events: ReadonlyArray<{ data: unknown }>) => events.map((e) => String((e.data as { amount: bigint }).amount))
        expect(yield* history("ledger-T1")).toEqual([])
        yield* store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 1n)], commandId: "a" })
        expect(amounts(yield* history("ledger-T1"))).toEqual(["1"])
        // Nothing new: the same answer.
        expect(amounts(yield* history("ledger-T1"))).toEqual(["1"])
        yield* store.append({ stream: "ledger-T1", expectedRevision: 0, events: [budgetEscrowed("T1", 2n), budgetEscrowed("T1", 3n)], commandId: "b" })
        yield* store.append({ stream: "ledger-T1", expectedRevision: 2, events: [budgetEscrowed("T1", 4n)], commandId: "c" })
        const all = yield* history("ledger-T1")
        expect(amounts(all)).toEqual(["1", "2", "3", "4"])
        expect(all.map((e) => e.streamPosition)).toEqual([0, 1, 2, 3])
      }).pipe(Effect.provide(layerInMemory()))
    ))
})
