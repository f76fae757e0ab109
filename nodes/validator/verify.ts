import { buildModel, evaluate, getWeightBytes, maxAbsDiff, predictionsDigest, setWeightBytes, train, weightsHash } from "../../infra/ml/model"
import type { MlNodeDeps } from "../infra/mlDeps"
import type { VerifyWork } from "../workItems"
import { weightsMissing } from "../../infra/weights/WeightsStore"

/** "lazy" copies the trainer's claims without computing: the coordinator's digest check must catch it. */
export type ValidatorBehaviour = "honest" | "lazy"

export type ValidatorDeps = MlNodeDeps<ValidatorBehaviour>

/**
 * The Verifier Engine's job for one result: re-measure the submitted weights
 * on the held-out set, and reproduce the training from the base weights with
 * the same shards, seed and plan. On the trainer's backend build the
 * reproduction must be bit-exact (same weights hash); on another backend the
 * weights must agree within the task's reproducibility tolerance. Accept only
 * if reproduced and the claimed accuracy is within the metric tolerance.
 */
export const verifyWork = async (work: VerifyWork, deps: ValidatorDeps) => {
  const claimed = work.proof.metrics
  if (deps.behaviour === "lazy") {
    return {
      verdict: "accept" as const,
      measured: claimed,
      reproduction: { method: "bitExact" as const, weightsHash: work.proof.weightsHash },
      predictionsDigest: `0x${"ab".repeat(32)}` as `0x${string}`,
      reason: "looks fine"
    }
  }
  const { tf } = deps.tf
  const heldOut = deps.data.samples([work.validationHash])
  const reject = (reason: string, measured = { accuracy: 0, loss: 0 }, digest?: `0x${string}`) => ({
    verdict: "reject" as const,
    measured,
    reproduction: { method: "notReproduced" as const },
    ...(digest ? { predictionsDigest: digest } : {}),
    reason
  })

  let submitted: Uint8Array
  try {
    submitted = await deps.weights.get(work.proof.weightsHash)
  } catch (e) {
    // Missing weights are the trainer's fault; an unreachable store is nobody's verdict (retried).
    if (!weightsMissing(e)) throw e
    return reject(`submitted weights unavailable: ${e instanceof Error ? e.message : String(e)}`)
  }
  const model = await buildModel(tf, work.topology)
  setWeightBytes(tf, model, submitted)
  const measuredEval = evaluate(tf, model, heldOut, work.classCount)
  const measured = { accuracy: measuredEval.accuracy, loss: measuredEval.loss }
  const digest = predictionsDigest(work.nodeId, measuredEval.predicted)

  // Reproduce the claimed training.
  const base = await deps.weights.get(work.proof.baseWeightsHash)
  setWeightBytes(tf, model, base)
  const samples = deps.data.samples(work.shards.map((s) => s.contentHash))
  await train(tf, model, samples, { ...work.plan, epochs: work.proof.epochs, seed: work.proof.seed }, work.classCount, () => deps.working?.())
  const reproduced = getWeightBytes(model)
  model.dispose()
  const sameBackend = work.proof.backend === deps.tf.backend
  const diff = maxAbsDiff(reproduced, submitted)
  const reproduction = sameBackend
    ? { method: "bitExact" as const, weightsHash: weightsHash(reproduced), maxAbsDiff: diff }
    : { method: "replayedChunk" as const, maxAbsDiff: diff }
  const reproducedOk = sameBackend ? reproduction.weightsHash === work.proof.weightsHash : diff <= work.reproducibilityTolerance
  const metricOk = Math.abs(claimed.accuracy - measured.accuracy) <= work.metricTolerance
  deps.progress?.(
    `${work.resultId}: measured accuracy ${measured.accuracy.toFixed(4)} (claimed ${claimed.accuracy.toFixed(4)}), reproduction ${sameBackend ? "bit-exact" : "tolerance"} ${reproducedOk ? "ok" : `FAILED (max |Δw| ${diff.toExponential(2)})`}`
  )
  if (!reproducedOk) return { ...reject(`weights do not reproduce the claimed training (max |Δw| ${diff.toExponential(3)})`, measured, digest), reproduction }
  if (!metricOk) {
    return { ...reject(`claimed accuracy ${claimed.accuracy.toFixed(4)} but measured ${measured.accuracy.toFixed(4)}`, measured, digest), reproduction }
  }
  return { verdict: "accept" as const, measured, reproduction, predictionsDigest: digest }
}
