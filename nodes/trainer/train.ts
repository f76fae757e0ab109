import type { LayersModel } from "@tensorflow/tfjs"
import { buildModel, evaluate, getWeightBytes, setWeightBytes, train } from "../../infra/ml/model"
import type { MlNodeDeps } from "../infra/mlDeps"
import type { TrainWork } from "../workItems"

/** How a trainer behaves; anything but "honest" exists to prove validators catch it. */
export type TrainerBehaviour = "honest" | "forgeMetrics" | "fakeWeights"

export type TrainerDeps = MlNodeDeps<TrainerBehaviour>

/** Train one work item: load the base weights (hash checked), train on the named shards (hashes checked) with the plan and the slot's seed, measure on the held-out set. */
const trainLocally = async (work: TrainWork, deps: TrainerDeps): Promise<Trained> => {
  const { tf } = deps.tf
  const base = await deps.weights.get(work.baseWeightsHash)
  const samples = deps.data.samples(work.shards.map((s) => s.contentHash))
  const model: LayersModel = await buildModel(tf, work.topology)
  setWeightBytes(tf, model, base)
  let lastBeat = 0
  const started = performance.now()
  const { steps } = await train(tf, model, samples, { ...work.plan, epochs: work.plan.epochsPerRound, seed: work.seed }, work.classCount, async ({ epoch, batch, loss }) => {
    const now = performance.now()
    if (now - lastBeat > 1_000) {
      lastBeat = now
      deps.working?.()
      deps.progress?.(`${work.taskId} r${work.round} s${work.slot}: epoch ${epoch + 1}/${work.plan.epochsPerRound} batch ${batch} loss ${loss.toFixed(4)}`)
    }
  })
  let bytes = getWeightBytes(model)
  if (deps.behaviour === "fakeWeights") {
    // Claims the training but ships other weights (a perturbed copy).
    const floats = new Float32Array(bytes.buffer.slice(0))
    for (let i = 0; i < floats.length; i += 7) floats[i] = floats[i]! * 0.5
    bytes = new Uint8Array(floats.buffer)
    setWeightBytes(tf, model, bytes)
  }
  const heldOut = evaluate(tf, model, deps.data.samples([work.validationHash]), work.classCount)
  model.dispose()
  deps.progress?.(
    `${work.taskId} r${work.round} s${work.slot}: trained ${samples.count} samples × ${work.plan.epochsPerRound} epochs in ${((performance.now() - started) / 1000).toFixed(2)} s, held-out accuracy ${heldOut.accuracy.toFixed(4)}`
  )
  return { bytes, steps, sampleCount: samples.count, heldOut: { accuracy: heldOut.accuracy, loss: heldOut.loss } }
}

const FINISHED_MAX = 32
interface Trained {
  readonly bytes: Uint8Array
  readonly steps: number
  readonly sampleCount: number
  readonly heldOut: { readonly accuracy: number; readonly loss: number }
}
const workKey = (w: TrainWork) => `${w.nodeId}|${w.taskId}|${w.round}|${w.slot}|${w.baseWeightsHash}|${w.seed}`

/**
 * Trainings a trainer finished, by work item: a redelivered item (its upload
 * or its command failed in a NATS or API outage, or its ack was lost) is
 * uploaded and submitted again without training again. One per worker,
 * bounded; a restarted process trains anew.
 */
export type FinishedTrainings = Map<string, Trained>

/**
 * The Model Executor's job for one work item: train it (or take the finished
 * training from `finished`), upload the new weights, and return the proof to sign.
 */
export const trainOnWork = async (work: TrainWork, deps: TrainerDeps, finished: FinishedTrainings = new Map()) => {
  const key = workKey(work)
  const done = finished.get(key) ?? (await trainLocally(work, deps))
  if (!finished.has(key)) {
    if (finished.size >= FINISHED_MAX) finished.delete(finished.keys().next().value!)
    finished.set(key, done)
  }
  const { bytes, steps, heldOut } = done
  const weightsHash = await deps.weights.put(bytes)
  const claimed = deps.behaviour === "forgeMetrics" ? { accuracy: Math.min(1, heldOut.accuracy + 0.15), loss: heldOut.loss / 2 } : { accuracy: heldOut.accuracy, loss: heldOut.loss }
  return {
    resultId: `${work.taskId}-r${work.round}-s${work.slot}-${work.nodeId}`,
    proof: {
      baseWeightsHash: work.baseWeightsHash,
      seed: work.seed,
      shardIds: work.shards.map((s) => s.shardId),
      shardHashes: work.shards.map((s) => s.contentHash),
      epochs: work.plan.epochsPerRound,
      steps,
      sampleCount: done.sampleCount,
      weightsHash,
      metrics: claimed,
      backend: deps.tf.backend
    }
  }
}
