import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { toEventStore } from "../../../infra/eventStore/backend"
import { InMemoryLog } from "../../../infra/eventStore/inMemory"
import { startProjector } from "../../../projections/projector"
import { inMemorySnapshots, READ_MODELS_VERSION } from "../../../projections/snapshots"
import { budgetEscrowed, nodeRegistered } from "../../support/events"

const appendSome = async (store: ReturnType<typeof toEventStore>, from: number, count: number) => {
  for (let i = from; i < from + count; i++) {
    await Effect.runPromise(store.append({ stream: `node-N${i}`, expectedRevision: "no_stream", events: [nodeRegistered(`N${i}`, i + 1)], commandId: `n${i}` }))
    await Effect.runPromise(store.append({ stream: `task-T${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`T${i}`, BigInt(i + 1))], commandId: `t${i}` }))
  }
}

describe("projector checkpoints", () => {
  it("resumes from its snapshot instead of replaying, and ends equal to a full rebuild", async () => {
    const store = toEventStore(new InMemoryLog())
    const snapshots = inMemorySnapshots()
    await appendSome(store, 0, 10)
    const first = await startProjector(store, { snapshots, snapshotEvery: 5 })
    expect(await first.waitFor(20)).toBe(true)
    await first.stop()
    expect(snapshots.saved).toBeGreaterThan(0)
    expect((await snapshots.load())?.position).toBe(20)

    await appendSome(store, 10, 5)
    const second = await startProjector(store, { snapshots })
    expect(second.resumedFrom).toBe(20)
    expect(await second.waitFor(30)).toBe(true)
    const fresh = await startProjector(store)
    expect(fresh.resumedFrom).toBe(0)
    expect(await fresh.waitFor(30)).toBe(true)
    expect(second.models.snapshot()).toEqual(fresh.models.snapshot())
    await second.stop()
    await fresh.stop()
  })

  it("ignores a snapshot made by other projection code and rebuilds from zero", async () => {
    const store = toEventStore(new InMemoryLog())
    await appendSome(store, 0, 3)
    const snapshots = inMemorySnapshots()
    await snapshots.save({ version: `${READ_MODELS_VERSION}-old`, position: 6, collections: { nodes: { bogus: { position: "6.0" } } } })
    const projector = await startProjector(store, { snapshots })
    expect(projector.resumedFrom).toBe(0)
    expect(await projector.waitFor(6)).toBe(true)
    expect(projector.models.read("nodes", "bogus")).toBeUndefined()
    expect(projector.models.read("nodes", "N0")).toBeDefined()
    await projector.stop()
  })
})
