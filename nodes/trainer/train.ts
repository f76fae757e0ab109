import type { LayersModel } from "@tensorflow/tfjs"
import { buildModel, evaluate, getWeightBytes, setWeightBytes, train } from "../../infra/ml/model"
import type { MlNodeDeps } from "../infra/mlDeps"
import type { TrainWork } from "../workItems"

/** How a trainer behaves; anything but "honest" exists to prove validators catch it. */
export type TrainerBehaviour = "honest" | "forgeMetrics" | "fakeWeights"

export type TrainerDeps = MlNodeDeps<TrainerBehaviour>

/**
 * The Model Executor's job for one work item: load the base weights (hash
 * checked), train on the named shards (hashes checked) with the task's plan
 * and the slot's seed, upload the new weights, measure them on the held-out
 * set, and return the proof to sign.
 */
export const trainOnWork = async (work: TrainWork, deps: TrainerDeps) => {
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
  const weightsHash = await deps.weights.put(bytes)
  const heldOut = evaluate(tf, model, deps.data.samples([work.validationHash]), work.classCount)
  model.dispose()
  const claimed = deps.behaviour === "forgeMetrics" ? { accuracy: Math.min(1, heldOut.accuracy + 0.15), loss: heldOut.loss / 2 } : { accuracy: heldOut.accuracy, loss: heldOut.loss }
  deps.progress?.(
    `${work.taskId} r${work.round} s${work.slot}: trained ${samples.count} samples × ${work.plan.epochsPerRound} epochs in ${((performance.now() - started) / 1000).toFixed(2)} s, held-out accuracy ${heldOut.accuracy.toFixed(4)}`
  )
  return {
    resultId: `${work.taskId}-r${work.round}-s${work.slot}-${work.nodeId}`,
    proof: {
      baseWeightsHash: work.baseWeightsHash,
      seed: work.seed,
      shardIds: work.shards.map((s) => s.shardId),
      shardHashes: work.shards.map((s) => s.contentHash),
      epochs: work.plan.epochsPerRound,
      steps,
      sampleCount: samples.count,
      weightsHash,
      metrics: claimed,
      backend: deps.tf.backend
    }
  }
}
