import type { LayersModel } from "@tensorflow/tfjs"
import type { TrainPlan } from "../infra/ml/model"
import type { Tf } from "../infra/ml/tf"
import type { Samples } from "../workloads/kit/samples"
import { stepFunctionsOf, type Workload } from "../workloads/workload"
import { applyEstimate, stepRows, stepSeedOf, totalSteps } from "../infra/ml/checkpoints"

/**
 * The raw baseline: TF.js alone, training a workload's model batch by batch
 * in memory (no checkpoints, hashing, uploads, commits or messages). What a
 * node's work costs is printed beside it.
 */
export const bareFit = async (tf: Tf, workload: Workload, model: LayersModel, samples: Samples, topology: Record<string, unknown>, plan: TrainPlan) => {
  const optimizer = plan.optimizer === "adam" ? tf.train.adam(plan.learningRate) : tf.train.sgd(plan.learningRate)
  model.compile({ optimizer, loss: "categoricalCrossentropy" })
  const { estimateOf } = stepFunctionsOf(tf, workload, model, samples, topology)
  // The same rows per step as the checkpointed trainer (the plan's seeded order, in batches).
  const rowsOf = stepRows(samples.count, plan)
  const steps = totalSteps(samples.count, plan)
  for (let s = 0; s < steps; s++) {
    const rows = rowsOf(s)
    if (estimateOf) {
      // Gradient-free workloads (evolution strategies): the estimate is the whole step's work.
      applyEstimate(optimizer, await estimateOf(rows, stepSeedOf(plan.seed, s)))
      continue
    }
    const { xs, ys } = workload.batch(tf, samples, rows, topology)
    await model.trainOnBatch(xs, ys)
    for (const x of Array.isArray(xs) ? xs : [xs]) x.dispose()
    ys.dispose()
  }
  optimizer.dispose()
}
