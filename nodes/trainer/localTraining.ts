import type { LayersModel } from "@tensorflow/tfjs"
import { checkpointInterval } from "../../domain/task/draw"
import type { Metrics } from "../../domain/primitives"
import { stepTrainer, totalSteps, type Checkpoint, type SegmentTrainer } from "../../infra/ml/checkpoints"
import type { ExternalExecutor } from "../../infra/ml/externalExecutor"
import { externalStepTrainer, freshOptimizerState } from "../../infra/ml/externalTrainer"
import { setWeightBytes } from "../../infra/ml/model"
import type { LoadedTf } from "../../infra/ml/tf"
import { gatherRows, type Samples } from "../../workloads/kit/samples"
import { requireWorkload } from "../../workloads/registry"
import { stepFunctionsOf } from "../../workloads/workload"
import type { TrainWork } from "../workItems"

/**
 * How a trainer behaves; anything but "honest" exists to prove the protocol catches it:
 * - forgeMetrics: trains honestly, claims a better accuracy than it measured;
 * - forgeRun: does not train: ships the base weights as its result with
 *   made-up checkpoints, claiming a high accuracy (the Sybil attack's forger).
 */
export type TrainerBehaviour = "honest" | "forgeMetrics" | "forgeRun"

/** One work item's training with everything fetched and hash-checked: what runs on an ML thread (nodes/threads). */
export interface TrainingJob {
  readonly work: TrainWork
  readonly base: Uint8Array
  readonly samples: Samples
  readonly validation: Samples
  readonly behaviour: TrainerBehaviour
}

export interface Trained {
  /** Every committed state, first (the base) to last (the result). */
  readonly states: ReadonlyArray<Checkpoint>
  readonly interval: number
  readonly steps: number
  readonly sampleCount: number
  readonly heldOut: Metrics
}

/** What a training says while it runs: a heartbeat (`working`, about once a second) and a progress line. */
export interface TrainingReport {
  readonly working?: () => void
  readonly progress?: (line: string) => void
}

/**
 * Train one work item step by step from the base weights, keeping the state
 * every `interval` steps (the commitment validators audit), then measure the
 * result on the held-out set. The same function runs on the event loop and on
 * an ML thread (nodes/threads): the steps are the same kernels on the same
 * backend, so the states are the same bytes either way (spec: mlThreads.int).
 */
export const trainSteps = async (tf: LoadedTf, job: TrainingJob, report: TrainingReport, executor?: ExternalExecutor): Promise<Trained> => {
  const { work, base, samples, validation } = job
  const workload = requireWorkload(work.workload)
  const plan = { ...work.plan, epochs: work.plan.epochsPerRound, seed: work.seed }
  const steps = totalSteps(samples.count, plan)
  const interval = checkpointInterval(steps, work.checkpoints)
  const model: LayersModel = await workload.build(tf.tf, work.topology)
  let states: Array<Checkpoint>
  // Model and optimizer are freed however this ends: a failure (a store
  // timing out, say) is retried with the item, and no try may leave them behind.
  try {
    setWeightBytes(tf.tf, model, base)
    const stepFns = stepFunctionsOf(tf.tf, workload, model, samples, work.topology)
    const trainer: SegmentTrainer = executor
      ? await externalStepTrainer(executor, model, samples.count, (rows) => gatherRows(samples, rows), plan, { weights: base, optimizer: freshOptimizerState(model, plan) })
      : stepTrainer(tf.tf, model, samples.count, plan, stepFns.batchOf, stepFns.estimateOf)
    try {
      states = [await trainer.checkpoint()]
      let lastBeat = 0
      if (job.behaviour === "forgeRun") {
        // No training at all: every "checkpoint" is the base state.
        for (let s = interval; s < steps + interval; s += interval) states.push(states[0]!)
      } else {
        await trainer.run(0, steps, async (done, loss) => {
          if (done % interval === 0 || done === steps) states.push(await trainer.checkpoint())
          const now = performance.now()
          if (now - lastBeat > 1_000) {
            lastBeat = now
            report.working?.()
            report.progress?.(`${work.taskId} r${work.round} s${work.slot}: step ${done}/${steps} loss ${loss.toFixed(4)}`)
          }
        })
      }
    } finally {
      await trainer.dispose()
    }
    setWeightBytes(tf.tf, model, states[states.length - 1]!.weights)
    return { states, interval, steps, sampleCount: samples.count, heldOut: workload.evaluate(tf.tf, model, validation, work.topology) }
  } finally {
    model.dispose()
  }
}
