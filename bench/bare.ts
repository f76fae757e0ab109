import type { LayersModel } from "@tensorflow/tfjs"
import { seededPermutation, type TrainPlan } from "../infra/ml/model"
import type { Tf } from "../infra/ml/tf"
import type { Samples } from "../workloads/kit/samples"
import { stepFunctionsOf, type Workload } from "../workloads/workload"
import { stepSeedOf } from "../infra/ml/checkpoints"

/**
 * The raw baseline: TF.js alone, training a workload's model batch by batch
 * in memory (no checkpoints, hashing, uploads, commits or messages). What a
 * node's work costs is printed beside it.
 */
export const bareFit = async (tf: Tf, workload: Workload, model: LayersModel, samples: Samples, topology: Record<string, unknown>, plan: TrainPlan) => {
  const optimizer = plan.optimizer === "adam" ? tf.train.adam(plan.learningRate) : tf.train.sgd(plan.learningRate)
  model.compile({ optimizer, loss: "categoricalCrossentropy" })
  const { estimateOf } = stepFunctionsOf(tf, workload, model, samples, topology)
  let s = 0
  for (let epoch = 0; epoch < plan.epochs; epoch++) {
    const order = seededPermutation(samples.count, plan.seed * 1000 + epoch)
    for (let from = 0; from < samples.count; from += plan.batchSize, s++) {
      const rows = order.subarray(from, Math.min(from + plan.batchSize, samples.count))
      if (estimateOf) {
        // Gradient-free workloads (evolution strategies): the estimate is the whole step's work.
        const { grads } = await estimateOf(rows, stepSeedOf(plan.seed, s))
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })))
        for (const g of Object.values(grads)) g.dispose()
        continue
      }
      const { xs, ys } = workload.batch(tf, samples, rows, topology)
      await model.trainOnBatch(xs, ys)
      for (const x of Array.isArray(xs) ? xs : [xs]) x.dispose()
      ys.dispose()
    }
  }
  optimizer.dispose()
}
