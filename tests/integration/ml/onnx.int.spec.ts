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
import { spamTransformer } from "../../../workloads/spam-transformer"
import { mobyChars } from "../../../workloads/moby-chars"
import { emojiClip } from "../../../workloads/emoji-clip"

/**
 * ONNX export checked by another runtime: trained models written as ONNX and
 * run by onnxruntime-node give TF.js's outputs within 1e-5 — Dense stacks,
 * CNNs on NHWC images (transposed to ONNX's NCHW and back) and a policy.
 */
const ort = createRequire(import.meta.url)("onnxruntime-node") as {
  InferenceSession: { create: (bytes: Uint8Array) => Promise<{ run: (feeds: Record<string, unknown>) => Promise<Record<string, { data: Float32Array }>> }> }
  Tensor: new (type: string, data: Float32Array, dims: Array<number>) => unknown
}

/** The largest difference between onnxruntime's and TF.js's outputs on `x` (one input), or on inputs named by their layer. */
const worstDifference = async (tf: Tf, model: LayersModel, x: Float32Array | Record<string, Float32Array>, shape: Array<number> | Record<string, Array<number>>) => {
  const session = await ort.InferenceSession.create(layersToOnnx(model, "check"))
  const feeds = x instanceof Float32Array ? { input: [x, shape as Array<number>] as const } : Object.fromEntries(Object.entries(x).map(([k, v]) => [k, [v, (shape as Record<string, Array<number>>)[k]!] as const]))
  const got = (await session.run(Object.fromEntries(Object.entries(feeds).map(([k, [v, s]]) => [k, new ort.Tensor("float32", v, [...s])])))).output!.data
  const tfInputs = model.inputs.map((t) => (x instanceof Float32Array ? tf.tensor(x, shape as Array<number>) : tf.tensor(x[t.sourceLayer.name]!, (shape as Record<string, Array<number>>)[t.sourceLayer.name]!)))
  const expected = tf.tidy(() => (model.predict(tfInputs.length === 1 ? tfInputs[0]! : tfInputs) as Tensor).dataSync() as Float32Array)
  tfInputs.forEach((t) => t.dispose())
  // Outputs that barely vary would match whatever the graph computed: the check needs spread.
  const mean = expected.reduce((a, b) => a + b, 0) / expected.length
  expect(Math.sqrt(expected.reduce((a, b) => a + (b - mean) ** 2, 0) / expected.length), `${model.name}: outputs vary`).toBeGreaterThan(0.01)
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

  it("the transformer classifier, the causal language model and the two-input CLIP encoder export too (attention, positions, norms)", async () => {
    const { tf } = await loadTf()
    // Untrained models answer nearly uniform distributions; larger weights make them decisive, so a wrong op shows.
    const sharpen = <M extends LayersModel>(m: M, by: number) => {
      m.setWeights(m.getWeights().map((w) => w.mul(by)))
      return m
    }
    const oneHot = (rows: number, len: number, vocab: number) => {
      const x = new Float32Array(rows * len * vocab)
      for (let r = 0; r < rows * len; r++) x[r * vocab + ((r * 7919) % vocab)] = 1
      return x
    }
    const spam = spamTransformer.exampleTopology as any
    const spamModel = sharpen(await spamTransformer.build(tf, { ...spam, vocab: 256, seqLen: 16 }), 3)
    expect(await worstDifference(tf, spamModel, oneHot(3, 16, 256), [3, 16, 256])).toBeLessThan(1e-5)
    spamModel.dispose()
    const moby = mobyChars.exampleTopology as any
    const lm = sharpen(await mobyChars.build(tf, { ...moby, seqLen: 16 }), 3)
    expect(await worstDifference(tf, lm, oneHot(2, 16, moby.vocab), [2, 16, moby.vocab])).toBeLessThan(1e-5)
    lm.dispose()
    const clip = emojiClip.exampleTopology as any
    const clipModel = sharpen(await emojiClip.build(tf, clip), 3)
    const pixels = clipModel.inputs.find((t) => t.sourceLayer.name === "image")!.shape[1]!
    const image = Float32Array.from({ length: 4 * pixels }, (_, i) => (i % 13) / 13)
    expect(await worstDifference(tf, clipModel, { image, text: oneHot(4, clip.textLen, clip.vocab) }, { image: [4, pixels], text: [4, clip.textLen, clip.vocab] })).toBeLessThan(1e-5)
    clipModel.dispose()
  }, 60_000)

  it("refuses a model with a layer it has no writer for, naming it", async () => {
    const { tf } = await loadTf()
    const normed = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 }), tf.layers.layerNormalization({})] })
    expect(() => layersToOnnx(normed, "normed")).toThrow(NotOnnxExportable)
    expect(() => layersToOnnx(normed, "normed")).toThrow(/LayerNormalization/)
    normed.dispose()
  })
})
