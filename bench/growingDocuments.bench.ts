import { fold } from "../domain/decider"
import type { DomainEvent } from "../domain/events"
import { model } from "../domain/model"
import type { ModelEvent } from "../domain/model/events"
import type { RecordedEvent } from "../domain/recordedEvent"
import { ReadModels } from "../projections/projector"
import { compare, interleaved, type BenchResult } from "./stats"

/**
 * What grows every round, concentrated in one document vs spread over many:
 * an address paid every round (its payouts), a model trained for many rounds
 * (its versions and metric log, read model and write-side fold). With flat
 * lists each entry copied all the earlier ones (quadratic: 80,000 payouts to
 * one address took 55 s to rebuild, a 50,000-version model's fold 22 s);
 * kept in pages (domain/pagedList.ts) the concentrated case should run near
 * the spread one. Pure code in memory: no server, both sides the same
 * number of events of the same types.
 */
const address = (i: number) => `0x${i.toString(16).padStart(40, "0")}`
const recorded = (events: ReadonlyArray<DomainEvent>): Array<RecordedEvent> =>
  events.map(
    (data, i) =>
      ({
        id: `e${i}`,
        type: data._tag,
        stream: "modelId" in data ? `model-${data.modelId}` : `ledger-${i}`,
        streamPosition: 0,
        globalPosition: i + 1,
        indexInCommit: 0,
        commitSize: 1,
        recordedAt: new Date(0),
        metadata: { commandId: `c${i}` },
        prevHash: `0x${"0".repeat(64)}`,
        hash: `0x${"0".repeat(64)}`,
        data
      }) as unknown as RecordedEvent
  )

const payouts = (n: number, addresses: number): Array<DomainEvent> =>
  Array.from({ length: n }, (_, i) => ({ _tag: "RewardAllocated", taskId: `T${i % 100}`, round: i, recipient: address(i % addresses), role: "trainer", amount: 10n, reason: "verified result", allocatedAt: new Date(0) }) as unknown as DomainEvent)

const versions = (n: number, models: number): Array<ModelEvent> => {
  const perModel = Math.ceil(n / models)
  return Array.from({ length: models }, (_, m) => [
    { _tag: "ModelRegistered", modelId: `M-${m}`, name: "m", description: "", owner: address(1), topology: {}, topologyHash: `0x${"1".repeat(64)}`, origin: { _tag: "New" }, registeredAt: new Date(0) },
    ...Array.from({ length: perModel }, (_, v) => ({
      _tag: "ModelVersionCreated",
      modelId: `M-${m}`,
      version: v + 1,
      weightsHash: `0x${"2".repeat(64)}`,
      ...(v === 0 ? {} : { parent: { modelId: `M-${m}`, version: v } }),
      lineage: { taskId: "T1", round: v, results: [], datasets: [], nodes: [] },
      metrics: { accuracy: 0.9 },
      createdBy: address(1),
      createdAt: new Date(0)
    }))
  ]).flat() as unknown as Array<ModelEvent>
}

const rebuildRate = (events: ReadonlyArray<RecordedEvent>) => async () => {
  const t = performance.now()
  const models = new ReadModels()
  for (const e of events) models.push(e)
  return events.length / ((performance.now() - t) / 1000)
}

const foldRate = (streams: ReadonlyArray<ReadonlyArray<ModelEvent>>) => async () => {
  const t = performance.now()
  let n = 0
  for (const stream of streams) {
    fold(model, stream)
    n += stream.length
  }
  return n / ((performance.now() - t) / 1000)
}

export const growingDocumentsBench = async (sizes = { payouts: 40_000, versions: 20_000 }): Promise<Array<BenchResult>> => {
  const spreadOver = 200
  const rebuildOne = recorded([...payouts(sizes.payouts, 1), ...versions(sizes.versions, 1)])
  const rebuildSpread = recorded([...payouts(sizes.payouts, spreadOver), ...versions(sizes.versions, spreadOver)])
  const rebuilt = await interleaved(3, rebuildRate(rebuildOne), rebuildRate(rebuildSpread))
  const oneModel = [versions(sizes.versions, 1)]
  const spreadModels = Array.from({ length: spreadOver }, (_, m) => versions(sizes.versions, spreadOver).filter((e) => e.modelId === `M-${m}`))
  const folded = await interleaved(3, foldRate(oneModel), foldRate(spreadModels))
  const statistic = "median of 3 interleaved runs after one warm-up run each"
  return [
    compare("projections.rebuild.growingDocuments", "events/s", rebuilt.ours, { name: `the same events spread over ${spreadOver} addresses and models`, value: rebuilt.baseline }, {
      events: rebuildOne.length,
      ours: `${sizes.payouts} payouts to one address, then ${sizes.versions} versions of one model`,
      runs: rebuilt.runs,
      statistic,
      note: "in memory (ReadModels.push), no server; near 1 when appending stays O(1) per entry however long the document"
    }),
    compare("domain.model.fold.longLived", "events/s", folded.ours, { name: `the same number of versions over ${spreadOver} models`, value: folded.baseline }, {
      events: oneModel[0]!.length,
      runs: folded.runs,
      statistic,
      note: "the model aggregate's fold (what a command on a model not in the cache pays)"
    })
  ]
}
