import { describe, expect, it } from "vitest"
import { apiWeightsWriter } from "../../../commands/weightsClient"
import { startPytorchExecutor } from "../../../infra/ml/externalExecutor"
import { externalStepTrainer, freshOptimizerState } from "../../../infra/ml/externalTrainer"
import { getWeightBytes } from "../../../infra/ml/model"
import { loadTf } from "../../../infra/ml/tf"
import { digits, digitsMlpLayers } from "../../../workloads/digits"
import { gatherRows } from "../../../workloads/kit/samples"
import { networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun, publishByDao } from "../../support/workloadE2e"
import { digitsManifest } from "../../support/manifests"

/**
 * Custom models through the standard interface, on the network: a digits MLP
 * trained a little in PyTorch (the reference stdio worker) and exported with
 * torch.onnx is submitted as ONNX + neura-model.json (ImportModel); a task
 * fine-tunes it with one trainer on the PyTorch executor and one on TF.js;
 * validators replay each result with the framework its proof names (PyTorch
 * results bit for bit on the PyTorch build) and measure it on the held-out
 * set; FedAvg mixes both; the DAO publishes the result, which exports as ONNX.
 */
const nats = natsServerPerFile()

const nodes = [
  { nodeId: "trainerA", role: "trainer", executor: "pytorch" },
  { nodeId: "trainerB", role: "trainer" },
  { nodeId: "validator1", role: "validator", executor: "pytorch" },
  { nodeId: "validator2", role: "validator", executor: "pytorch" },
  { nodeId: "validator3", role: "validator", executor: "pytorch" }
] as const

describe("custom models end to end (real NATS, PyTorch and TF.js)", () => {
  it("an imported PyTorch model is fine-tuned by a PyTorch trainer and a TF.js trainer, both verified, then published by the DAO", async () => {
    await using net = await networkHarness(nats.server.url, nodes, [], { protocol: { votingSeconds: 1, commitSeconds: 120 } })
    const { tf } = await loadTf()

    // Made elsewhere: PyTorch trains a digits MLP for a few steps and exports it as ONNX.
    const torch = await startPytorchExecutor()
    const layers = digitsMlpLayers(tf, 9)
    const own = digits.decode(digits.publicData({ shards: 1, trainSamples: 300, heldOutSamples: 1 }).training[0]!, {})
    const plan = { epochs: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam" as const, seed: 1 }
    const trainer = await externalStepTrainer(torch, layers, own.count, (rows) => gatherRows(own, rows), plan, { weights: getWeightBytes(layers), optimizer: freshOptimizerState(layers, plan) })
    await trainer.run(0, 5)
    const onnx = new Uint8Array(Buffer.from(String((await torch.request("export-onnx")).onnx), "base64"))
    await torch.close()
    layers.dispose()

    // Submitted through the standard interface.
    const artefactHash = await apiWeightsWriter(net.api.client.transport, net.api.client.key).put(onnx)
    const manifest = digitsManifest({ producer: "PyTorch 1.13 via torch.onnx.export" })
    const imported = (await net.api.client.command("ImportModel", { name: "digits from PyTorch", manifest, artefactHash })).results[0]!.events[0]!.data
    expect(imported.origin).toMatchObject({ _tag: "Imported", artefactHash, manifest: { framework: "onnx" } })

    const budget = 10_000_000n
    const created = await net.createWorkloadTask("CUSTOM1", {
      workload: "digits",
      topology: imported.topology,
      baseModelId: imported.modelId,
      data: { shards: 2, trainSamples: 1200, heldOutSamples: 500 },
      objective: { metric: "accuracy", target: 0.999 },
      maxRounds: 2,
      learningRate: 0.01,
      roundDeadlineSeconds: 1200,
      budget
    })
    const run = await checkWorkloadRun(net, { taskId: "CUSTOM1", modelId: created.modelId, workload: "digits", metric: "accuracy", rounds: 2, budget, validationHash: created.validation.contentHash, timeoutMs: 900_000 })
    expect(run.after).toBeGreaterThan(0.8)
    // Each trainer's proof names its framework; validators replayed both kinds.
    const backends = Object.fromEntries(run.events.filter((e) => e.type === "ResultSubmitted").map((e) => [e.data.nodeId, e.data.proof.backend]))
    expect(backends.trainerA).toMatch(/^pytorch-1\.13/)
    expect(backends.trainerB).not.toMatch(/^pytorch/)

    // Published by the DAO; the final version downloads as ONNX.
    const version = run.versions[run.versions.length - 1].data.version as number
    const position = await publishByDao(net, created.modelId, version, "publish-custom")
    const model = (await net.api.client.get(`/models/${created.modelId}?minPosition=${position}`)).model
    expect(model).toMatchObject({ status: "published", origin: { kind: "imported", framework: "onnx", producer: "PyTorch 1.13 via torch.onnx.export" } })
    expect((await net.api.app.inject({ method: "GET", url: `/models/${created.modelId}/versions/${version}/export?format=onnx` })).statusCode).toBe(200)
  }, 1_200_000)

  it("a forged PyTorch run is caught by PyTorch judges, bisected, ruled forged by a jury replaying one step with PyTorch, rejected and slashed", async () => {
    const forgers = [{ ...nodes[0], behaviour: "forgeRun" as const }, ...nodes.slice(1)]
    await using net = await networkHarness(nats.server.url, forgers, [], { protocol: { commitSeconds: 120 }, coordinatorExecutor: "pytorch" })
    const { tf } = await loadTf()
    const layers = digitsMlpLayers(tf, 4)
    const topology = layers.toJSON(null, false) as Record<string, unknown>
    layers.dispose()
    await net.createWorkloadTask("FORGED1", { workload: "digits", topology, data: { shards: 2, trainSamples: 1200, heldOutSamples: 500 }, objective: { metric: "accuracy", target: 0.999 }, maxRounds: 1, roundDeadlineSeconds: 1200 })
    const events = await net.waitForEnd("FORGED1", 900_000)
    const submitted = events.find((e) => e.type === "ResultSubmitted" && e.data.nodeId === "trainerA")
    expect(submitted.data.proof.backend).toMatch(/^pytorch-1\.13/)
    const last = events.filter((e) => (e.type === "ResultVerified" || e.type === "ResultRejected") && e.data.resultId === submitted.data.resultId).at(-1)
    expect(last.type).toBe("ResultRejected")
    expect(last.data.penalized).toBe(true)
    // Bisected: the forger opened its segment, and the jury's PyTorch replay of one step proved it broken.
    expect(events.some((e) => e.type === "DisputeAnswered" && e.data.resultId === submitted.data.resultId)).toBe(true)
    expect(events.filter((e) => e.type === "RulingRevealed" && e.data.resultId === submitted.data.resultId).length).toBeGreaterThan(0)
    expect(last.data.reason).toMatch(/step \d+ does not follow from the state before it/)
    expect(events.some((e) => e.type === "StakeSlashed" && e.data.nodeId === "trainerA")).toBe(true)
    // The honest TF.js trainer's result stood.
    expect(events.some((e) => e.type === "ResultVerified" && e.data.nodeId === "trainerB")).toBe(true)
  }, 1_200_000)

  it("when every judge of a forged PyTorch run is the forger's, an honest watcher replaying with PyTorch challenges it and the referee upholds", async () => {
    const watched = [
      { nodeId: "honest", role: "trainer" as const },
      { nodeId: "forger", role: "trainer" as const, behaviour: "forgeRun" as const, executor: "pytorch" as const },
      // The attacker's judges hold nearly all validator stake and accept without re-executing.
      { nodeId: "sybil1", role: "validator" as const, behaviour: "lazy" as const, stake: 1_000_000n },
      { nodeId: "sybil2", role: "validator" as const, behaviour: "lazy" as const, stake: 1_000_000n },
      { nodeId: "sybil3", role: "validator" as const, behaviour: "lazy" as const, stake: 1_000_000n },
      { nodeId: "watcher", role: "validator" as const, watch: true, executor: "pytorch" as const }
    ]
    await using net = await networkHarness(nats.server.url, watched, [], { protocol: { challengeSeconds: 8 }, coordinatorExecutor: "pytorch" })
    await net.createTask("WATCHED1", { target: 0.99, maxRounds: 2 })
    const events = await net.waitForEnd("WATCHED1", 600_000)
    const forged = events.filter((e) => e.type === "ResultSubmitted" && e.data.nodeId === "forger")
    expect(forged.length).toBeGreaterThan(0)
    for (const f of forged) expect(f.data.proof.backend).toMatch(/^pytorch-1\.13/)
    const challenged = events.filter((e) => e.type === "ResultChallenged")
    expect(challenged.length).toBeGreaterThan(0)
    expect(challenged.every((e) => e.data.challenger === "watcher")).toBe(true)
    expect(events.filter((e) => e.type === "ChallengeResolved").every((e) => e.data.upheld)).toBe(true)
    for (const f of forged) expect(events.some((e) => e.type === "ResultFinalized" && e.data.resultId === f.data.resultId)).toBe(false)
    expect(events.some((e) => e.type === "StakeSlashed" && e.data.nodeId === "forger" && e.data.referee === net.keyOf("watcher").address)).toBe(true)
  }, 900_000)
})
