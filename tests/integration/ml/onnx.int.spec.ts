import { describe, expect, it } from "vitest"
import { createRequire } from "node:module"
import type { Tensor } from "@tensorflow/tfjs"
import { stepTrainer } from "../../../infra/ml/checkpoints"
import { loadTf } from "../../../infra/ml/tf"
import { digits, digitsMlpLayers } from "../../../workloads/digits"
import { fashionCnnLayers } from "../../../workloads/fashion-cnn"
import { denseStackToOnnx, NotOnnxExportable } from "../../../workloads/kit/onnx"

/**
 * ONNX export checked by another runtime: a trained digits MLP written as
 * ONNX and run by onnxruntime-node gives TF.js's outputs within 1e-5.
 */
const ort = createRequire(import.meta.url)("onnxruntime-node") as {
  InferenceSession: { create: (bytes: Uint8Array) => Promise<{ run: (feeds: Record<string, unknown>) => Promise<Record<string, { data: Float32Array }>> }> }
  Tensor: new (type: string, data: Float32Array, dims: Array<number>) => unknown
}

describe("ONNX export", () => {
  it("a trained digits MLP runs in onnxruntime with TF.js's outputs (within 1e-5)", async () => {
    const { tf } = await loadTf()
    const model = digitsMlpLayers(tf, 4)
    const cut = digits.publicData({ shards: 1, trainSamples: 640, heldOutSamples: 200 })
    const train = digits.decode(cut.training[0]!, {})
    const held = digits.decode(cut.validation, {})
    const trainer = stepTrainer(tf, model, train.count, { epochs: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 1 }, (rows) => digits.batch(tf, train, rows, {}))
    await trainer.run(0, trainer.stepsTotal)
    trainer.dispose()

    const session = await ort.InferenceSession.create(denseStackToOnnx(model, "digits"))
    const out = await session.run({ input: new ort.Tensor("float32", held.x, [held.count, 64]) })
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(held.x, [held.count, 64])) as Tensor).dataSync() as Float32Array)
    const got = out.output!.data
    expect(got.length).toBe(expected.length)
    let worst = 0
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!))
    expect(worst).toBeLessThan(1e-5)
    model.dispose()
  }, 60_000)

  it("refuses a model with a layer it has no writer for, naming it", async () => {
    const { tf } = await loadTf()
    const cnn = fashionCnnLayers(tf, 1)
    expect(() => denseStackToOnnx(cnn, "cnn")).toThrow(NotOnnxExportable)
    expect(() => denseStackToOnnx(cnn, "cnn")).toThrow(/Conv2D/)
    cnn.dispose()
  })
})
