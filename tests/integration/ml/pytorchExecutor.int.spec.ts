import type { Tensor } from "@tensorflow/tfjs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkpointHashes } from "../../../infra/ml/checkpoints"
import { startPytorchExecutor, type ExternalExecutor } from "../../../infra/ml/externalExecutor"
import { externalStepTrainer, freshOptimizerState } from "../../../infra/ml/externalTrainer"
import { getWeightBytes, setWeightBytes } from "../../../infra/ml/model"
import { loadTf } from "../../../infra/ml/tf"
import { digits, digitsMlpLayers } from "../../../workloads/digits"
import { importArtefact } from "../../../workloads/kit/importers"
import { gatherRows } from "../../../workloads/kit/samples"
import { digitsManifest } from "../../support/manifests"

/**
 * The reference PyTorch executor (infra/ml/pytorch/worker.py, Debian's
 * python3-torch) driven over the stdio protocol: it trains the digits MLP in
 * the network's state layouts, replays a segment from a checkpoint bit for
 * bit (what a validator does), and exports ONNX that ImportModel's converter
 * reads back as the same model.
 */
let executor: ExternalExecutor
beforeAll(async () => {
  executor = await startPytorchExecutor()
})
afterAll(async () => {
  await executor?.close()
})

describe("PyTorch executor (stdio protocol)", () => {
  it("trains the digits MLP, replays a segment exactly, and exports ONNX the importer reads back", async () => {
    const { tf } = await loadTf()
    expect(executor).toMatchObject({ framework: "pytorch", backend: expect.stringMatching(/^pytorch-1\.13/) })
    const model = digitsMlpLayers(tf, 5)
    const cut = digits.publicData({ shards: 1, trainSamples: 640, heldOutSamples: 300 })
    const train = digits.decode(cut.training[0]!, {})
    const held = digits.decode(cut.validation, {})
    const plan = { epochs: 2, batchSize: 32, learningRate: 0.01, optimizer: "adam" as const, seed: 3 }
    const start = { weights: getWeightBytes(model), optimizer: freshOptimizerState(model, plan) }
    const rows = (indices: Int32Array) => gatherRows(train, indices)
    const before = digits.evaluate(tf, model, held, {}).accuracy!

    const trainer = await externalStepTrainer(executor, model, train.count, rows, plan, start)
    const mid = 20
    const losses: Array<number> = []
    await trainer.run(0, mid, (_s, loss) => void losses.push(loss))
    const atMid = await trainer.checkpoint()
    let afterNext: ReturnType<typeof checkpointHashes> | undefined
    await trainer.run(mid, trainer.stepsTotal, async (s, loss) => {
      losses.push(loss)
      if (s === mid + 1) afterNext = checkpointHashes(await trainer.checkpoint())
    })
    const end = await trainer.checkpoint()
    expect(losses.length).toBe(trainer.stepsTotal)
    expect(losses.at(-1)!).toBeLessThan(losses[0]!)

    // A validator's replay: restore the mid checkpoint, run to the end, same bytes.
    await trainer.restore(atMid)
    await trainer.run(mid, trainer.stepsTotal)
    expect(checkpointHashes(await trainer.checkpoint())).toEqual(checkpointHashes(end))
    // A referee's replay of one step in a bisected dispute: from the state before it, that step alone.
    await trainer.restore(atMid)
    await trainer.run(mid, mid + 1)
    expect(checkpointHashes(await trainer.checkpoint())).toEqual(afterNext)
    await trainer.restore(end)

    // The trained weights, in TF.js's layout, are a better digits model for TF.js too.
    setWeightBytes(tf, model, end.weights)
    expect(digits.evaluate(tf, model, held, {}).accuracy!).toBeGreaterThan(before + 0.3)

    // Exported by torch.onnx and imported by the network's converter: the same predictions.
    const onnx = new Uint8Array(Buffer.from(String((await executor.request("export-onnx")).onnx), "base64"))
    const imported = await importArtefact(tf, digitsManifest(), digits, onnx)
    const predict = (m: { predict: typeof model.predict }) => tf.tidy(() => Array.from((m.predict(tf.tensor2d(held.x, [held.count, 64])) as Tensor).dataSync()))
    const want = predict(model)
    predict(imported).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))
    imported.dispose()
    model.dispose()
  }, 120_000)

  it("answers a bad request with an error, and keeps serving", async () => {
    await expect(executor.request("load", { layers: [{ inputs: 2, units: 2, activation: "swish" }], plan: { optimizer: "sgd", learningRate: 0.1 }, weights: "", optimizer: "" })).rejects.toThrow(/activation swish/)
    await expect(executor.request("nonsense")).rejects.toThrow(/unknown op/)
    expect(await executor.request("hello")).toMatchObject({ framework: "pytorch" })
  })
})
