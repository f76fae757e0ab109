import type { LayersModel } from "@tensorflow/tfjs"
import { stepRows, totalSteps, type Checkpoint, type SegmentTrainer } from "./checkpoints"
import type { ExternalExecutor } from "./externalExecutor"
import type { TrainPlan } from "./model"

/**
 * stepTrainer's contract on an external executor: the same steps (the node
 * picks each step's rows from the plan's seeded order), the same states in
 * the network's canonical layouts, trained by another framework. The model is
 * read only for its layer structure: Dense stacks (what the reference PyTorch
 * worker builds); anything else is refused before training starts.
 */
export class NotExecutable extends Error {}

const b64 = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64")
const bytes = (s: unknown) => new Uint8Array(Buffer.from(String(s), "base64"))

export const denseStackOf = (model: LayersModel) =>
  model.layers.map((layer, i) => {
    if (layer.getClassName() !== "Dense") throw new NotExecutable(`layer ${i} (${layer.getClassName()}): external executors train Dense stacks only`)
    const config = layer.getConfig() as { units: number; activation?: string; useBias?: boolean }
    if (config.useBias === false) throw new NotExecutable(`layer ${i}: dense layers without bias are not supported`)
    const kernel = layer.getWeights()[0]!
    return { inputs: kernel.shape[0]!, units: config.units, activation: config.activation ?? "linear" }
  })

/** The inputs (flat float32) and class ids of some rows of the training data. */
export type RowsOf = (indices: Int32Array) => { readonly x: Float32Array; readonly y: Int32Array }

export const externalStepTrainer = async (executor: ExternalExecutor, model: LayersModel, sampleCount: number, rowsData: RowsOf, plan: TrainPlan, start: Checkpoint): Promise<SegmentTrainer> => {
  const layers = denseStackOf(model)
  await executor.request("load", { layers, plan: { optimizer: plan.optimizer, learningRate: plan.learningRate }, weights: b64(start.weights), optimizer: b64(start.optimizer) })
  const rowsOf = stepRows(sampleCount, plan)
  return {
    stepsTotal: totalSteps(sampleCount, plan),
    checkpoint: async () => {
      const s = await executor.request("state")
      return { weights: bytes(s.weights), optimizer: bytes(s.optimizer) }
    },
    restore: async (c) => {
      await executor.request("restore", { weights: b64(c.weights), optimizer: b64(c.optimizer) })
    },
    run: async (from, to, after) => {
      let loss = NaN
      for (let s = from; s < to; s++) {
        const { x, y } = rowsData(rowsOf(s))
        loss = Number((await executor.request("step", { x: b64(x), y: b64(Float32Array.from(y)) })).loss)
        await after?.(s + 1, loss)
      }
      return loss
    },
    dispose: () => undefined
  }
}

/** The state a fresh optimizer of a plan starts from, in the canonical layout (TF.js's Adam before its first step). */
export const freshOptimizerState = (model: LayersModel, plan: Pick<TrainPlan, "optimizer">): Uint8Array => {
  if (plan.optimizer !== "adam") return new Uint8Array(4)
  const size = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
  const f = new Float32Array(2 + 2 * size)
  f[0] = 0.9
  f[1] = 0.999
  return new Uint8Array(f.buffer)
}
