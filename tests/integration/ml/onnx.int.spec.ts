import { describe, expect, it } from "vitest"
import { createRequire } from "node:module"
import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import { stepTrainer } from "../../../infra/ml/checkpoints"
import { loadTf, type Tf } from "../../../infra/ml/tf"
import { digits, digitsCnnLayers, digitsMlpLayers } from "../../../workloads/digits"
import { fashionCnn, fashionCnnLayers } from "../../../workloads/fashion-cnn"
import { layersToOnnx, NotOnnxExportable } from "../../../workloads/kit/onnx"
import type { Samples } from "../../../workloads/kit/samples"
import { spokenDigitsLayers } from "../../../workloads/spoken-digits"
import { warehouseAgent } from "../../../workloads/warehouse-agent"
import type { Workload } from "../../../workloads/workload"

/**
 * ONNX export checked by another runtime: trained models written as ONNX and
 * run by onnxruntime-node give TF.js's outputs within 1e-5 — Dense stacks,
 * CNNs on NHWC images (transposed to ONNX's NCHW and back) and a policy.
 */
const ort = createRequire(import.meta.url)("onnxruntime-node") as {
  InferenceSession: { create: (bytes: Uint8Array) => Promise<{ run: (feeds: Record<string, unknown>) => Promise<Record<string, { data: Float32Array }>> }> }
  Tensor: new (type: string, data: Float32Array, dims: Array<number>) => unknown
}

/** The largest difference between onnxruntime's and TF.js's outputs on `x`. */
const worstDifference = async (tf: Tf, model: LayersModel, x: Float32Array, shape: Array<number>) => {
  const session = await ort.InferenceSession.create(layersToOnnx(model, "check"))
  const got = (await session.run({ input: new ort.Tensor("float32", x, shape) })).output!.data
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as Tensor).dataSync() as Float32Array)
  expect(got.length).toBe(expected.length)
  let worst = 0
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!))
  return worst
}

const trainABit = async (tf: Tf, model: LayersModel, workload: Workload, train: Samples) => {
  const trainer = stepTrainer(tf, model, train.count, { epochs: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 1 }, (rows) => workload.batch(tf, train, rows, {}))
  await trainer.run(0, trainer.stepsTotal)
  trainer.dispose()
}

describe("ONNX export", () => {
  it("a trained digits MLP runs in onnxruntime with TF.js's outputs (within 1e-5)", async () => {
    const { tf } = await loadTf()
    const model = digitsMlpLayers(tf, 4)
    const cut = digits.publicData({ shards: 1, trainSamples: 640, heldOutSamples: 200 })
    const held = digits.decode(cut.validation, {})
    await trainABit(tf, model, digits, digits.decode(cut.training[0]!, {}))
    expect(await worstDifference(tf, model, held.x, [held.count, 64])).toBeLessThan(1e-5)
    model.dispose()
  }, 60_000)

  it("a trained Fashion-MNIST CNN (conv, pooling, flatten, dense) runs in onnxruntime with TF.js's outputs (within 1e-5)", async () => {
    const { tf } = await loadTf()
    const model = fashionCnnLayers(tf, 2)
    const cut = fashionCnn.publicData({ shards: 1, trainSamples: 320, heldOutSamples: 100 })
    await trainABit(tf, model, fashionCnn, fashionCnn.decode(cut.training[0]!, {}))
    const held = fashionCnn.decode(cut.validation, {})
    expect(await worstDifference(tf, model, held.x, [held.count, 28, 28, 1])).toBeLessThan(1e-5)
    model.dispose()
  }, 60_000)

  it("the digits CNN, the spoken-digits CNN and the agent's policy export too (same outputs on random inputs)", async () => {
    const { tf } = await loadTf()
    const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5)
    const cases: Array<[LayersModel, Array<number>]> = [
      [digitsCnnLayers(tf, 3), [5, 64]],
      [spokenDigitsLayers(tf, 3), [3, 80, 24, 1]],
      [await warehouseAgent.build(tf, warehouseAgent.exampleTopology), [4, 13]]
    ]
    for (const [model, shape] of cases) {
      expect(await worstDifference(tf, model, random(shape.reduce((a, b) => a * b, 1)), shape), model.name).toBeLessThan(1e-5)
      model.dispose()
    }
  }, 60_000)

  it("refuses a model with a layer it has no writer for, naming it", async () => {
    const { tf } = await loadTf()
    const normed = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 }), tf.layers.layerNormalization({})] })
    expect(() => layersToOnnx(normed, "normed")).toThrow(NotOnnxExportable)
    expect(() => layersToOnnx(normed, "normed")).toThrow(/LayerNormalization/)
    normed.dispose()
  })
})
