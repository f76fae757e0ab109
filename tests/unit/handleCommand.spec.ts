import { Effect, Fiber, Result } from "effect"
import { describe, expect, it } from "vitest"
import { handleCommand } from "../../commands/handleCommand"
import { model, modelStream } from "../../domain/model"
import { CreateModelVersion, RegisterModel } from "../../domain/model/commands"
import { EventStore } from "../../domain/ports"
import { layerInMemory } from "../../infra/eventStore/inMemory"
import { budgetEscrowed, hash32 } from "../support/events"
import type { Decider } from "../../domain/decider"
import type { DomainEvent } from "../../domain/events"
import { T0, coordinator, modelId, owner } from "../support/fixtures"

/**
 * The command handler keeps each stream's folded state and reads only what
 * is new on the stream. These specs pin what that must not change: a command
 * decides on the stream's latest state even after another writer appended
 * (another API process), a repeated command id answers with its first events,
 * and a refused command appends nothing.
 */
const register = new RegisterModel({ modelId, name: "m", topology: { class_name: "Sequential" }, initialWeightsHash: hash32(0xb0), topologyHash: hash32(0x70), actor: owner, at: T0 })
const nextVersion = (parentVersion: number, weights: number) =>
  new CreateModelVersion({
    modelId,
    parentVersion,
    weightsHash: hash32(weights),
    lineage: { results: [], datasets: [], nodes: [] },
    actor: coordinator,
    actorIsCoordinator: true,
    at: T0
  })
const meta = (commandId: string) => ({ commandId })
const run = <A, E>(effect: Effect.Effect<A, E, EventStore>) => Effect.runPromise(effect.pipe(Effect.provide(layerInMemory())))

describe("handleCommand with folded state", () => {
  it("catches up with another writer's appends, answers a repeated command with its first events, and a refusal appends nothing", () =>
    run(
      Effect.gen(function* () {
        const store = yield* EventStore
        const stream = modelStream(modelId)
        yield* handleCommand(model, stream, register, meta("c1"))
        yield* handleCommand(model, stream, nextVersion(1, 0xb1), meta("c2"))
        // Another writer (another API process) appends v3 behind this handler's back.
        const theirs = (yield* Effect.result(
          Effect.gen(function* () {
            const history = yield* store.readStream(stream)
            const last = history[history.length - 1]!
            return yield* store.append({
              stream,
              expectedRevision: last.streamPosition,
              events: [{ _tag: "ModelVersionCreated", modelId, version: 3, parent: { modelId, version: 2 }, weightsHash: hash32(0xb2), lineage: { results: [], datasets: [], nodes: [] }, createdBy: coordinator, createdAt: T0 }],
              commandId: "elsewhere",
              metadata: {}
            })
          })
        ))
        expect(theirs._tag).toBe("Success")
        // v3 on v2 looks right on the state this handler holds (it has not read
        // since): its append's expected revision is stale, the store refuses
        // it, the handler reads, and on v3 the stale parent is refused.
        const stale = yield* Effect.result(handleCommand(model, stream, nextVersion(2, 0xb9), meta("c-stale")))
        expect(stale._tag === "Failure" && (stale.failure as { _tag: string })._tag).toBe("VersionConflict")
        expect((yield* store.readStream(stream)).length).toBe(4)
        // v4 on v3: only possible if the handler saw v3.
        const v4 = yield* handleCommand(model, stream, nextVersion(3, 0xb3), meta("c3"))
        expect(v4.events.map((e) => (e.data as { version?: number }).version)).toEqual([4])
        // A stale parent is refused and appends nothing.
        const refused = yield* Effect.result(handleCommand(model, stream, nextVersion(2, 0xb4), meta("c4")))
        expect(refused._tag).toBe("Failure")
        // c2 again: its first events, nothing new.
        const again = yield* handleCommand(model, stream, nextVersion(1, 0xb1), meta("c2"))
        expect(again.duplicate).toBe(true)
        expect(again.events.map((e) => (e.data as { version?: number }).version)).toEqual([2])
        expect((yield* store.readStream(stream)).length).toBe(5)
      })
    ))
})

/** A decider that always appends one escrow: commands that never conflict in meaning, only in revision. */
const escrows: Decider<{ readonly amount: bigint }, DomainEvent, number, never> = {
  decide: (c) => Result.succeed([budgetEscrowed("T9", c.amount)]),
  evolve: (n) => n + 1,
  initialState: 0
}

describe("commands on one stream in one process take turns", () => {
  it("given three commands at once on one stream, each decides on the state the one before left: three appends, none refused", async () => {
    const store = await Effect.runPromise(EventStore.useSync((s) => s).pipe(Effect.provide(layerInMemory())))
    const expected: Array<unknown> = []
    const spy: EventStore["Service"] = { ...store, append: (input) => (expected.push(input.expectedRevision), store.append(input)) }
    const one = (i: number) => handleCommand(escrows, "ledger-T9", { amount: BigInt(i) }, meta(`e${i}`)).pipe(Effect.provideService(EventStore, spy))
    const outcomes = await Effect.runPromise(Effect.all([one(1), one(2), one(3)], { concurrency: 3 }))
    expect(outcomes.map((o) => o.nextExpectedRevision).sort()).toEqual([0, 1, 2])
    // Without turns all three decided on "no stream": two appends were refused and retried.
    expect(expected).toEqual(["no_stream", 0, 1])
  })

  it("a command interrupted while it holds the turn lets the next one go", async () => {
    const store = await Effect.runPromise(EventStore.useSync((s) => s).pipe(Effect.provide(layerInMemory())))
    let held = false
    // The first append never answers (a store that hangs); the second is the store's own.
    const spy: EventStore["Service"] = {
      ...store,
      append: (input) => (held ? store.append(input) : ((held = true), Effect.never))
    }
    const one = (i: number) => handleCommand(escrows, "ledger-T9", { amount: BigInt(i) }, meta(`i${i}`)).pipe(Effect.provideService(EventStore, spy))
    const first = Effect.runFork(one(1))
    while (!held) await new Promise((r) => setImmediate(r))
    const second = Effect.runFork(one(2))
    await Effect.runPromise(Fiber.interrupt(first))
    const outcome = await Effect.runPromise(Fiber.join(second))
    expect(outcome.nextExpectedRevision).toBe(0)
  })
})

describe("a stream this process holds nothing of", () => {
  it("is taken as new: creating it costs an append and no read; one that exists after all is read and decided on what it holds; a retry is answered as the first try", async () => {
    const store = await Effect.runPromise(EventStore.useSync((s) => s).pipe(Effect.provide(layerInMemory())))
    const stream = modelStream(modelId)
    // Each "process" is its own view of the one store (the handler's folded states are per store object), counting its reads.
    const process = () => {
      const reads: Array<string> = []
      const view: EventStore["Service"] = { ...store, readStream: (s, options) => (reads.push(s), store.readStream(s, options)) }
      const handle = <C, S, Err>(decider: Decider<C, DomainEvent, S, Err>, command: C, commandId: string) =>
        Effect.runPromise(Effect.result(handleCommand(decider, stream, command, meta(commandId)).pipe(Effect.provideService(EventStore, view))))
      return { reads, handle }
    }
    const a = process()
    const created = await a.handle(model as never, register, "c1")
    expect(created._tag).toBe("Success")
    expect(a.reads).toEqual([])

    // Another process registers the same model under another command: refused by the store, then read, then refused on what it holds.
    const b = process()
    const again = await b.handle(model as never, register, "c9")
    expect(again._tag === "Failure" && (again.failure as { _tag: string })._tag).toBe("ModelAlreadyRegistered")
    expect(b.reads).toEqual([stream])

    // A third process retries c1: the store answers it with the first try's events, nothing new.
    const c = process()
    const retried = await c.handle(model as never, register, "c1")
    expect(retried._tag === "Success" && retried.success.duplicate).toBe(true)
    expect(retried._tag === "Success" && retried.success.events.map((e) => e.id)).toEqual(created._tag === "Success" && created.success.events.map((e) => e.id))

    // A command that cannot hold on an empty stream is checked against the stream before it is answered.
    const d = process()
    const v2 = await d.handle(model as never, nextVersion(1, 0xb1), "c2")
    expect(v2._tag === "Success" && v2.success.events.map((e) => (e.data as { version?: number }).version)).toEqual([2])
    expect(d.reads).toEqual([stream])
    // Registering is two events (the model, its first version); nothing of c9, nothing twice.
    expect((await Effect.runPromise(store.readStream(stream))).map((e) => e.metadata.commandId)).toEqual(["c1", "c1", "c2"])
  })
})
