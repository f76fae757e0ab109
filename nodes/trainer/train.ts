import { onEventLoop } from "../../infra/ml/tf"
import { trainingSamplesPerSecond, trainingSamplesTotal } from "../../infra/metrics"
import { checkpointLeaf, merkleRoot } from "../../domain/task/commitments"
import { resultIdFor } from "../../domain/task/guards"
import type { CheckpointState } from "../../domain/task/events"
import type { Hash32, Metrics } from "../../domain/primitives"
import { requireWorkload } from "../../workloads/registry"
import { describeMetrics, type MlNodeDeps } from "../infra/mlDeps"
import type { TrainWork } from "../workItems"
import { trainSteps, type Trained, type TrainerBehaviour, type TrainingJob } from "./localTraining"
import { onThread } from "../threads/pool"

export type { TrainerBehaviour } from "./localTraining"

export type TrainerDeps = MlNodeDeps<TrainerBehaviour>

/**
 * Train one work item from the base weights (hash checked) on the named
 * shards (hashes checked): fetched here, trained on an ML thread when the
 * trainer has them (an external executor trains in its own process, driven
 * from the event loop).
 */
const trainLocally = async (work: TrainWork, deps: TrainerDeps): Promise<Trained> => {
  const workload = requireWorkload(work.workload)
  const base = await deps.weights.get(work.baseWeightsHash)
  const samples = await deps.data.samples(workload, work.topology, work.shards.map((s) => s.contentHash))
  // The held-out set too, before training: fetched after it, the download
  // raced the other in-process nodes' training for the event loop and timed
  // out, and each retry trained again only to time out at the same place.
  const validation = await deps.data.samples(workload, work.topology, [work.validationHash])
  const job: TrainingJob = { work, base, samples, validation, behaviour: deps.behaviour ?? "honest" }
  const started = performance.now()
  const trained = deps.threads && !deps.executor ? await onThread(deps.threads, { kind: "train", train: job }, deps.tf.backend, deps) : await trainSteps(await onEventLoop(deps.tf), job, deps, deps.executor)
  const seconds = (performance.now() - started) / 1000
  trainingSamplesTotal.inc({ workload: workload.id }, samples.count * work.plan.epochsPerRound)
  trainingSamplesPerSecond.set({ node: work.nodeId }, (samples.count * work.plan.epochsPerRound) / Math.max(seconds, 1e-6))
  deps.progress?.(
    `${work.taskId} r${work.round} s${work.slot}: trained ${samples.count} samples × ${work.plan.epochsPerRound} epochs (${trained.steps} steps, ${trained.states.length} checkpoints) in ${seconds.toFixed(2)} s, held-out ${describeMetrics(trained.heldOut)}`
  )
  return trained
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
