import { trainingSamplesPerSecond, trainingSamplesTotal } from "../../infra/metrics"
import type { LayersModel } from "@tensorflow/tfjs"
import { checkpointLeaf, merkleRoot } from "../../domain/task/commitments"
import { checkpointInterval } from "../../domain/task/draw"
import { resultIdFor } from "../../domain/task/guards"
import type { CheckpointState } from "../../domain/task/events"
import type { Hash32 } from "../../domain/primitives"
import { stepTrainer, totalSteps, type Checkpoint, type SegmentTrainer } from "../../infra/ml/checkpoints"
import { externalStepTrainer, freshOptimizerState } from "../../infra/ml/externalTrainer"
import { gatherRows } from "../../workloads/kit/samples"
import { setWeightBytes } from "../../infra/ml/model"
import type { Metrics } from "../../domain/primitives"
import { requireWorkload } from "../../workloads/registry"
import { stepFunctionsOf } from "../../workloads/workload"
import { describeMetrics, type MlNodeDeps } from "../infra/mlDeps"
import type { TrainWork } from "../workItems"

/**
 * How a trainer behaves; anything but "honest" exists to prove the protocol catches it:
 * - forgeMetrics: trains honestly, claims a better accuracy than it measured;
 * - forgeRun: does not train: ships the base weights as its result with
 *   made-up checkpoints, claiming a high accuracy (the Sybil attack's forger).
 */
export type TrainerBehaviour = "honest" | "forgeMetrics" | "forgeRun"

export type TrainerDeps = MlNodeDeps<TrainerBehaviour>

interface Trained {
  /** Every committed state, first (the base) to last (the result). */
  readonly states: ReadonlyArray<Checkpoint>
  readonly interval: number
  readonly steps: number
  readonly sampleCount: number
  readonly heldOut: Metrics
}

/**
 * Train one work item step by step from the base weights (hash checked) on
 * the named shards (hashes checked), keeping the state every `interval`
 * steps: the commitment validators audit.
 */
const trainLocally = async (work: TrainWork, deps: TrainerDeps): Promise<Trained> => {
  const { tf } = deps.tf
  const workload = requireWorkload(work.workload)
  const base = await deps.weights.get(work.baseWeightsHash)
  const samples = await deps.data.samples(workload, work.topology, work.shards.map((s) => s.contentHash))
  // The held-out set too, before training: fetched after it, the download
  // raced the other in-process nodes' training for the event loop and timed
  // out, and each retry trained again only to time out at the same place.
  const validation = await deps.data.samples(workload, work.topology, [work.validationHash])
  const plan = { ...work.plan, epochs: work.plan.epochsPerRound, seed: work.seed }
  const steps = totalSteps(samples.count, plan)
  const interval = checkpointInterval(steps, work.checkpoints)
  const model: LayersModel = await workload.build(tf, work.topology)
  const started = performance.now()
  let states: Array<Checkpoint>
  let heldOut: Metrics
  // Model and optimizer are freed however this ends: a failure (a store
  // timing out, say) is retried with the item, and no try may leave them behind.
  try {
    setWeightBytes(tf, model, base)
    const stepFns = stepFunctionsOf(tf, workload, model, samples, work.topology)
    const trainer: SegmentTrainer = deps.executor
      ? await externalStepTrainer(deps.executor, model, samples.count, (rows) => gatherRows(samples, rows), plan, { weights: base, optimizer: freshOptimizerState(model, plan) })
      : stepTrainer(tf, model, samples.count, plan, stepFns.batchOf, stepFns.estimateOf)
    try {
      states = [await trainer.checkpoint()]
      let lastBeat = 0
      if (deps.behaviour === "forgeRun") {
        // No training at all: every "checkpoint" is the base state.
        for (let s = interval; s < steps + interval; s += interval) states.push(states[0]!)
      } else {
        await trainer.run(0, steps, async (done, loss) => {
          if (done % interval === 0 || done === steps) states.push(await trainer.checkpoint())
          const now = performance.now()
          if (now - lastBeat > 1_000) {
            lastBeat = now
            deps.working?.()
            deps.progress?.(`${work.taskId} r${work.round} s${work.slot}: step ${done}/${steps} loss ${loss.toFixed(4)}`)
          }
        })
      }
    } finally {
      await trainer.dispose()
    }
    setWeightBytes(tf, model, states[states.length - 1]!.weights)
    heldOut = workload.evaluate(tf, model, validation, work.topology)
  } finally {
    model.dispose()
  }
  const seconds = (performance.now() - started) / 1000
  trainingSamplesTotal.inc({ workload: workload.id }, samples.count * work.plan.epochsPerRound)
  trainingSamplesPerSecond.set({ node: work.nodeId }, (samples.count * work.plan.epochsPerRound) / Math.max(seconds, 1e-6))
  deps.progress?.(
    `${work.taskId} r${work.round} s${work.slot}: trained ${samples.count} samples × ${work.plan.epochsPerRound} epochs (${steps} steps, ${states.length} checkpoints) in ${seconds.toFixed(2)} s, held-out ${describeMetrics(heldOut)}`
  )
  return { states, interval, steps, sampleCount: samples.count, heldOut }
}

/** A forger's claim: each metric 15% "better" than measured (accuracy-like up, loss-like down). */
const inflated = (m: Metrics, workloadId: string): Metrics => {
  const directions = new Map(requireWorkload(workloadId).metrics.map((x) => [x.name, x.direction]))
  return Object.fromEntries(
    Object.entries(m).map(([k, v]) => [k, directions.get(k) === "maximize" ? Math.min(1, v + 0.15) : v * 0.5])
  )
}

/** A fabricated claim of a near-perfect model. */
const fabricated = (workloadId: string): Metrics =>
  Object.fromEntries(requireWorkload(workloadId).metrics.map((x) => [x.name, x.direction === "maximize" ? 0.99 : x.name === "perplexity" ? 1.01 : 0.01]))

const FINISHED_MAX = 32
/**
 * Everything a training's outcome depends on. A speculative item and the
 * item its round later dispatches share it only if they train the same
 * thing: the same base on the same shards with the same plan and seed.
 */
export const workKey = (w: TrainWork) =>
  JSON.stringify([w.nodeId, w.taskId, w.round, w.slot, w.baseWeightsHash, w.seed, w.shards, w.plan, w.checkpoints, w.workload, w.validationHash, w.topology])

/**
 * Trainings a trainer finished, by work item (`workKey`), and their states'
 * hashes once uploaded: a redelivered item (its upload or its command failed
 * in a NATS or API outage, or its ack was lost) is uploaded and submitted
 * again without training again, and the dispatch of work trained ahead of
 * its round (speculative) finds it trained and uploaded. One per worker,
 * bounded; a restarted process trains anew.
 */
export type FinishedTrainings = Map<string, Finished>
type Finished = Trained & { readonly uploaded?: ReadonlyArray<CheckpointState> }

/** Whether `work` was trained and uploaded already (so submitting it is all that is left). */
export const readyToSubmit = (finished: FinishedTrainings, work: TrainWork) => finished.get(workKey(work))?.uploaded !== undefined

/**
 * The Model Executor's job for one work item: train it (or take the finished
 * training from `finished`), upload every committed state, and return the
 * proof to sign.
 */
export const trainOnWork = async (work: TrainWork, deps: TrainerDeps, finished: FinishedTrainings = new Map()) => {
  const key = workKey(work)
  const done: Finished = finished.get(key) ?? (await trainLocally(work, deps))
  if (!finished.has(key)) {
    if (finished.size >= FINISHED_MAX) finished.delete(finished.keys().next().value!)
    finished.set(key, done)
  }
  let states = done.uploaded
  if (!states) {
    const hashes: Array<CheckpointState> = []
    for (const s of done.states) hashes.push({ weights: (await deps.weights.put(s.weights)) as Hash32, optimizer: (await deps.weights.put(s.optimizer)) as Hash32 })
    states = hashes
    if (finished.has(key)) finished.set(key, { ...done, uploaded: hashes })
  }
  const final = states[states.length - 1]!
  const claimed = deps.behaviour === "forgeMetrics" ? inflated(done.heldOut, work.workload) : deps.behaviour === "forgeRun" ? fabricated(work.workload) : done.heldOut
  return {
    resultId: resultIdFor(work.taskId, work.round, work.slot, work.nodeId),
    proof: {
      baseWeightsHash: work.baseWeightsHash,
      seed: work.seed,
      shardIds: work.shards.map((s) => s.shardId),
      shardHashes: work.shards.map((s) => s.contentHash),
      epochs: work.plan.epochsPerRound,
      steps: done.steps,
      sampleCount: done.sampleCount,
      weightsHash: final.weights,
      metrics: claimed,
      backend: deps.executor?.backend ?? deps.tf.backend,
      checkpoints: { interval: done.interval, states, root: merkleRoot(states.map(checkpointLeaf)) }
    }
  }
}
