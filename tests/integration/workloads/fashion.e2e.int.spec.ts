import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadTf } from "../../../infra/ml/tf"
import { layersTopology } from "../../../nodes/workloadTask"
import { fashionCnnLayers } from "../../../workloads/fashion-cnn"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { startNatsServer, type NatsServer } from "../../support/natsServer"
import { checkWorkloadRun } from "../../support/workloadE2e"

/**
 * An image CNN trained by the network on Fashion-MNIST (two conv/pool
 * stages on wasm, whose conv filter gradient is our own kernel in
 * infra/ml/tf.ts), objective accuracy. Small configuration for CI.
 */
let server: NatsServer
beforeAll(async () => {
  server = await startNatsServer()
})
afterAll(async () => {
  await server?.stop()
})

describe("fashion-cnn end to end (real NATS, real TF.js)", () => {
  it("two trainers and three validators train it for two rounds: a verified version per round with better held-out accuracy, everyone paid", async () => {
    await using net = await networkHarness(server.url, honestNodes)
    const { tf } = await loadTf()
    const layers = fashionCnnLayers(tf, 3)
    const topology = layersTopology(layers)
    layers.dispose()
    const budget = 10_000_000n
    const created = await net.createWorkloadTask("FASHION1", {
      workload: "fashion-cnn",
      topology,
      data: { shards: 2, trainSamples: 640, heldOutSamples: 300 },
      objective: { metric: "accuracy", target: 0.999 },
      learningRate: 0.005,
      maxRounds: 2,
      budget
    })
    const run = await checkWorkloadRun(net, { taskId: "FASHION1", modelId: created.modelId, workload: "fashion-cnn", metric: "accuracy", rounds: 2, budget, validationHash: created.validation.contentHash })
    expect(run.after).toBeGreaterThan(0.5)
  }, 600_000)
})
