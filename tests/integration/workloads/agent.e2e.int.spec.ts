import { describe, expect, it } from "vitest"
import { setWeightBytes } from "../../../infra/ml/model"
import { loadTf } from "../../../infra/ml/tf"
import { warehouseAgent } from "../../../workloads/warehouse-agent"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun, publishByDao } from "../../support/workloadE2e"

/**
 * A tool-using agent trained by the network with evolution strategies:
 * each trainer's steps evaluate seeded perturbations of the policy on its
 * shard's warehouses, FedAvg averages the trainers' ES updates, validators
 * replay committed steps (the same perturbations, the same episodes) and
 * match them bit for bit. After the DAO publishes it, the agent runs: the
 * API answers an episode's full transcript, the same for the same seed.
 */
const nats = natsServerPerFile()

describe("warehouse-agent end to end (real NATS, evolution strategies)", () => {
  it("two trainers and three validators improve its return on unseen warehouses over two rounds; the published agent's episodes replay exactly", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes, [], { protocol: { votingSeconds: 1, commitSeconds: 120 } })
    const budget = 10_000_000n
    const topology = { kind: "es-policy", hidden: 16, sigma: 0.5, population: 32, seed: 1 }
    const created = await net.createWorkloadTask("AGENT1", {
      workload: "warehouse-agent",
      topology,
      data: { shards: 2, trainSamples: 128, heldOutSamples: 200 },
      objective: { metric: "return", target: 100 },
      epochsPerRound: 8,
      batchSize: 8,
      learningRate: 0.1,
      maxRounds: 2,
      // Judges on a loaded machine may be slow: a long deadline gives the round a long verification window.
      roundDeadlineSeconds: 1200,
      budget
    })
    // A judge slowed down on a loaded machine can hold a round for its 120 s commit window: room for two such rounds.
    const run = await checkWorkloadRun(net, { taskId: "AGENT1", modelId: created.modelId, workload: "warehouse-agent", metric: "return", rounds: 2, budget, validationHash: created.validation.contentHash, timeoutMs: 900_000 })
    const last = run.versions[run.versions.length - 1].data
    // Better than the untrained policy on the same unseen warehouses: it now delivers some packages.
    expect(last.metrics.success).toBeGreaterThan(0)
    // Validators re-executed committed ES steps and agreed with the trainers' checkpoints.
    expect(run.events.filter((e) => e.type === "ResultVerified").length).toBe(4)

    const client = net.api.client
    const url = `/models/${created.modelId}/versions/${last.version}/episodes`
    await expect(client.post(url, { seed: 1_000_003 })).rejects.toMatchObject({ status: 409, problem: { code: "ModelVersionNotPublished" } })
    await publishByDao(net, created.modelId, last.version, "publish-agent")
    const a = await client.post(url, { seed: 1_000_003 })
    expect(a).toMatchObject({ modelId: created.modelId, version: last.version, workload: "warehouse-agent" })
    const turns = a.episode.transcript as Array<{ turn: number; call: { tool: string }; observation: { message: string; carrying: boolean }; reward: number }>
    expect(turns.length).toBe(a.episode.turns)
    expect(turns.length).toBeGreaterThan(0)
    for (const t of turns) expect(["look", "move", "pick", "use"]).toContain(t.call.tool)
    expect(a.episode.return).toBeCloseTo(turns.reduce((s, t) => s + t.reward, 0), 1)
    // The same seed, the same episode; and the same as running the version's recorded weights here.
    expect(await client.post(url, { seed: 1_000_003 })).toEqual(a)
    const { tf } = await loadTf()
    const model = await warehouseAgent.build(tf, topology)
    setWeightBytes(tf, model, await net.weights.get(last.weightsHash))
    expect(JSON.parse(JSON.stringify(warehouseAgent.episode!(tf, model, topology, 1_000_003)))).toEqual(a.episode)
    model.dispose()
    await expect(client.post(url, { seed: -1 })).rejects.toMatchObject({ status: 400, problem: { code: "InvalidRequest" } })
  }, 1_200_000)
})
