import { describe, expect, it } from "vitest"
import { createRequire } from "node:module"
import { loadTf } from "../../../infra/ml/tf"
import { layersTopology } from "../../../nodes/workloadTask"
import { fashionCnnLayers } from "../../../workloads/fashion-cnn"
import { fashionRecords } from "../../../workloads/fashion-cnn/data"
import { apiShardWriter } from "../../../commands/weightsClient"
import { devKey } from "../../../infra/identity/devKeys"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun } from "../../support/workloadE2e"

/**
 * An image CNN trained by the network on Fashion-MNIST (two conv/pool
 * stages on wasm, whose conv filter gradient is our own kernel in
 * infra/ml/tf.ts), objective accuracy. Small configuration for CI. A data
 * provider's submission, accepted after the task was created, trains from the
 * next round on and its provider is paid.
 */
const nats = natsServerPerFile()

describe("fashion-cnn end to end (real NATS, real TF.js)", () => {
  it("two trainers and three validators train it for two rounds: a verified version per round with better held-out accuracy, everyone paid", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes, [], { protocol: { commitSeconds: 120 } })
    const { tf } = await loadTf()
    const layers = fashionCnnLayers(tf, 3)
    const topology = layersTopology(layers)
    layers.dispose()
    const budget = 10_000_000n
    const provider = devKey("fashion-provider")
    const created = await net.createWorkloadTask(
      "FASHION1",
      {
      workload: "fashion-cnn",
      topology,
      data: { shards: 2, trainSamples: 640, heldOutSamples: 300 },
      objective: { metric: "accuracy", target: 0.999 },
      learningRate: 0.005,
      maxRounds: 2,
      // Judges on a loaded machine may be slow: a long deadline gives the round a long verification window.
      roundDeadlineSeconds: 1200,
      budget
      },
      async (task) => {
        // Another provider offers 160 more images (through the datasets bucket); the owner accepts them.
        const bytes = fashionRecords("train", 640, 160)
        const contentHash = await apiShardWriter(net.api.client.transport, provider).put(bytes)
        await net.api.client.as(provider).command("SubmitData", { datasetId: task.trainingDatasetId, submissionId: "extra-160", contentHash, sampleCount: 160, licence: "MIT" })
        await net.api.client.command("ReviewDataSubmission", { datasetId: task.trainingDatasetId, submissionId: "extra-160", decision: "accept" })
      }
    )
    const run = await checkWorkloadRun(net, { taskId: "FASHION1", modelId: created.modelId, workload: "fashion-cnn", metric: "accuracy", rounds: 2, budget, validationHash: created.validation.contentHash })
    expect(run.after).toBeGreaterThan(0.5)
    // TF.js artifacts export, and ONNX (its convolutions transposed to NCHW): onnxruntime runs it on held-out images.
    const version = run.versions[run.versions.length - 1].data.version
    expect(await net.api.client.get(`/models/${created.modelId}/versions/${version}/export`)).toMatchObject({ format: "tfjs-layers-model", workload: "fashion-cnn" })
    const onnxBytes = await net.api.app.inject({ method: "GET", url: `/models/${created.modelId}/versions/${version}/export?format=onnx` })
    expect(onnxBytes.statusCode).toBe(200)
    const ort = createRequire(import.meta.url)("onnxruntime-node")
    const session = await ort.InferenceSession.create(new Uint8Array(onnxBytes.rawPayload))
    const images = fashionRecords("t10k", 0, 4)
    const x = Float32Array.from({ length: 4 * 784 }, (_, i) => images[Math.floor(i / 784) * 785 + 1 + (i % 784)]! / 255)
    const out = await session.run({ input: new ort.Tensor("float32", x, [4, 28, 28, 1]) })
    expect(out.output.dims).toEqual([4, 10])
    // The accepted shard joined the task at the next round start, was dealt to a trainer and its provider paid.
    expect(run.events.find((e) => e.type === "RoundStarted" && e.data.round === 1).data.addedShards).toMatchObject([{ shardId: "extra-160", sampleCount: 160, provider: provider.address }])
    expect(run.events.some((e) => e.type === "TrainingDispatched" && e.data.assignments.some((a: any) => a.shardIds.includes("extra-160")))).toBe(true)
    expect(run.events.some((e) => e.type === "RewardAllocated" && e.data.role === "dataProvider" && e.data.recipient === provider.address)).toBe(true)
  }, 600_000)
})
