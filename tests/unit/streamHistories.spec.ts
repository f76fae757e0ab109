import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { history, Histories } from "../../commands/streamHistories"
import { EventStore } from "../../domain/ports"
import { layerInMemory } from "../../infra/eventStore/inMemory"
import { budgetEscrowed } from "../support/events"

/**
 * The fact loaders read streams through copies of what they read before:
 * the store is asked only for what is newer (with the position to start
 * from), and the answer is always the whole stream as the store has it.
 */
const run = <A, E>(effect: Effect.Effect<A, E, EventStore>) => Effect.runPromise(effect.pipe(Effect.provide(layerInMemory())))

const withSpy = Effect.gen(function* () {
  const store = yield* EventStore
  const asked: Array<{ readonly fromRevision?: number; readonly after?: number } | undefined> = []
  const spy: EventStore["Service"] = { ...store, readStream: (stream, options) => (asked.push(options), store.readStream(stream, options)) }
  const append = (i: number) => store.append({ stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", BigInt(i))], commandId: `c${i}` })
  const read = (histories: Histories) => history("ledger-T1", histories).pipe(Effect.provideService(EventStore, spy))
  const whole = Effect.map(store.readStream("ledger-T1"), (events) => events.map((e) => e.id))
  return { asked, append, read, whole }
})

describe("stream histories (fact loaders' copies)", () => {
  it("given a stream read once, when more is appended, then only what is newer is asked for, from the last event held", () =>
    run(
      Effect.gen(function* () {
        const { asked, append, read, whole } = yield* withSpy
        const histories = new Histories()
        expect(yield* read(histories)).toEqual([])
        for (const i of [0, 1, 2]) yield* append(i)
        const first = yield* read(histories)
        expect(first.map((e) => e.id)).toEqual(yield* whole)
        yield* append(3)
        yield* append(4)
        const second = yield* read(histories)
        expect(second.map((e) => e.id)).toEqual(yield* whole)
        expect(asked[2]).toEqual({ fromRevision: 3, after: first[2]!.globalPosition })
        // Nothing newer: the copy itself, after one question.
        expect(yield* read(histories)).toBe(second)
        expect(asked[3]).toEqual({ fromRevision: 5, after: second[4]!.globalPosition })
        expect(histories.size).toBe(5)
      })
    ))

  it("given a budget the copies outgrow, then they are dropped and the next read is a whole read, with the same answer", () =>
    run(
      Effect.gen(function* () {
        const { asked, append, read, whole } = yield* withSpy
        const histories = new Histories(4)
        for (const i of [0, 1, 2, 3, 4]) yield* append(i)
        expect((yield* read(histories)).map((e) => e.id)).toEqual(yield* whole)
        expect(histories.size).toBe(0)
        expect((yield* read(histories)).map((e) => e.id)).toEqual(yield* whole)
        expect(asked).toEqual([undefined, undefined])
      })
    ))
})
