import { expect } from "vitest"
import { ApiError } from "../../commands/client"
import { setWeightBytes } from "../../infra/ml/model"
import { loadTf } from "../../infra/ml/tf"
import { requireWorkload } from "../../workloads/registry"
import type { networkHarness } from "./networkHarness"

type Net = Awaited<ReturnType<typeof networkHarness>>

/**
 * What every workload's end-to-end test checks once its task has ended: a
 * new model version per round measured in the workload's own metrics, both
 * trainers verified, every role paid within the budget, and the objective's
 * metric better than the initial model's on the same held-out bytes.
 */
export const checkWorkloadRun = async (net: Net, o: { taskId: string; modelId: string; workload: string; metric: string; rounds: number; budget: bigint; validationHash: string; timeoutMs?: number }) => {
  const events = await net.waitForEnd(o.taskId, o.timeoutMs ?? 400_000)
  const tail = net.log.slice(-25).join("\n")
  const created = events.find((e) => e.type === "TaskCreated")
  expect(created.data.workload).toBe(o.workload)
  const workload = requireWorkload(o.workload)
  const direction = workload.metrics.find((m) => m.name === o.metric)!.direction
  expect(created.data.objective).toMatchObject({ metric: o.metric, direction })

  // Both trainers' results verified in the first round; one new version per round, measured in the workload's metrics.
  const verified = events.filter((e) => e.type === "ResultVerified")
  expect(new Set(verified.filter((e) => e.data.round === 1).map((e) => e.data.nodeId)), tail).toEqual(new Set(["trainerA", "trainerB"]))
  expect(events.filter((e) => e.type === "ResultRejected"), tail).toEqual([])
  const closed = events.filter((e) => e.type === "RoundClosed")
  expect(closed.length).toBe(o.rounds)
  for (const c of closed) expect(c.data.newVersion, tail).toBeDefined()
  // The model's own events, read once: its registration (topology), the initial version and one per round.
  const modelEvents = (await net.api.client.get("/events?aggregate=model&limit=1000")).events.filter((e: any) => e.stream === `model-${o.modelId}`)
  const allVersions = modelEvents.filter((e: any) => e.type === "ModelVersionCreated")
  const versions = allVersions.filter((e: any) => e.data.version > 1)
  expect(versions.map((v: any) => v.data.version)).toEqual(Array.from({ length: o.rounds }, (_, i) => i + 2))
  for (const v of versions) for (const m of workload.metrics) expect(typeof v.data.metrics[m.name], m.name).toBe("number")

  // Paid: trainers, validators and the data provider, never more than the escrow.
  const paid = (pred: (e: any) => boolean) => events.filter((e) => e.type === "RewardAllocated" && pred(e)).reduce((s, e) => s + BigInt(e.data.amount), 0n)
  const refunded = events.filter((e) => e.type === "BudgetRefunded").reduce((s, e) => s + BigInt(e.data.amount), 0n)
  for (const nodeId of ["trainerA", "trainerB", "validator1", "validator2", "validator3"]) expect(paid((e) => e.data.nodeId === nodeId), nodeId).toBeGreaterThan(0n)
  expect(paid((e) => e.data.role === "dataProvider")).toBeGreaterThan(0n)
  expect(paid(() => true) + refunded).toBeLessThanOrEqual(o.budget)

  // Better than where it started: the initial weights measured on the same held-out shard.
  const { tf } = await loadTf()
  const topology = modelEvents.find((e: any) => e.type === "ModelRegistered").data.topology as Record<string, unknown>
  const initial = await workload.build(tf, topology)
  setWeightBytes(tf, initial, await net.weights.get(allVersions.find((e: any) => e.data.version === 1).data.weightsHash))
  const held = workload.decode(await net.shards.get(o.validationHash), topology)
  const before = workload.evaluate(tf, initial, held, topology)[o.metric]!
  initial.dispose()
  const after = versions[versions.length - 1].data.metrics[o.metric]
  if (direction === "maximize") expect(after).toBeGreaterThan(before)
  else expect(after).toBeLessThan(before)
  return { events, versions, before, after }
}

/**
 * The DAO publishes a version: a proposal by a staked node, every node votes
 * for it, and it is closed once its voting period has passed (the close is
 * refused with 409 until then; the harness runs a 1 s period). Answers the
 * closing's log position (read models reflect it with ?minPosition=).
 */
export const publishByDao = async (net: Net, modelId: string, version: number, proposalId: string, voters = ["validator1", "validator2", "validator3", "trainerA", "trainerB"]) => {
  const client = net.api.client
  await client.as(net.keyOf(voters[0]!)).command("OpenProposal", { modelId, proposalId, nodeId: voters[0]!, action: "publish", version })
  for (const nodeId of voters) await client.as(net.keyOf(nodeId)).command("CastProposalVote", { modelId, proposalId, nodeId, support: true })
  for (let i = 0; ; i++) {
    const closed = await client.command("CloseProposal", { modelId, proposalId }).then(
      (out) => out.results[0]!.globalPosition as number,
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 409 && i < 200) return undefined
        throw e
      }
    )
    if (closed !== undefined) return closed
    await new Promise((r) => setTimeout(r, 100))
  }
}
