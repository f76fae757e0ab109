import { createHash } from "node:crypto"
import { checkpointLeaf } from "../../domain/task/commitments"
import { segmentBounds } from "../../domain/task/draw"
import type { SegmentEvidence } from "../../domain/task/events"
import type { LayersModel } from "@tensorflow/tfjs"
import { checkpointHashes, stepTrainer, type Checkpoint, type SegmentTrainer } from "../../infra/ml/checkpoints"
import { externalStepTrainer } from "../../infra/ml/externalTrainer"
import type { TrainPlan } from "../../infra/ml/model"
import { gatherRows, type Samples } from "../../workloads/kit/samples"
import type { Metrics } from "../../domain/primitives"
import { requireWorkload } from "../../workloads/registry"
import { stepFunctionsOf, type Workload } from "../../workloads/workload"
import { weightsMissing } from "../../infra/weights/WeightsStore"
import { measureWeights, type MlNodeDeps } from "../infra/mlDeps"
import type { VerifyWork } from "../workItems"

/**
 * "lazy" does no re-execution: it copies the trainer's committed end leaf and
 * claims, and makes up the probe. The other judges' probes and the referee
 * catch it.
 */
export type ValidatorBehaviour = "honest" | "lazy"

export type ValidatorDeps = MlNodeDeps<ValidatorBehaviour>

const NOTHING = `0x${"00".repeat(32)}` as SegmentEvidence["endHash"]

/** What a judge found, before it is committed and revealed. */
export interface Judgement {
  readonly verdict: "accept" | "reject"
  readonly measured: Metrics
  readonly evidence: SegmentEvidence
  readonly reason?: string
}

/** A judge cannot replay a result trained by an executor it does not run: not a verdict, the work is retried or reassigned. */
export class ExecutorMissing extends Error {}

/**
 * What replays a result's steps: the external executor whose backend its
 * proof names (a PyTorch trainer's result is replayed by PyTorch, bit for bit
 * on the same build), otherwise TF.js.
 */
const segmentTrainerFor = async (
  backend: string,
  deps: Omit<ValidatorDeps, "behaviour">,
  workload: Workload,
  model: LayersModel,
  samples: Samples,
  topology: Record<string, unknown>,
  plan: TrainPlan,
  start: Checkpoint
): Promise<SegmentTrainer> => {
  const { tf } = deps.tf
  if (deps.executor && backend === deps.executor.backend) return externalStepTrainer(deps.executor, model, samples.count, (rows) => gatherRows(samples, rows), plan, start)
  if (backend.startsWith("pytorch")) throw new ExecutorMissing(`this node cannot replay ${backend}: start it with that executor (NEURA_EXECUTOR=pytorch)`)
  const step = stepFunctionsOf(tf, workload, model, samples, topology)
  return stepTrainer(tf, model, samples.count, plan, step.batchOf, step.estimateOf)
}

/**
 * Re-execute the audited segment of a result: restore the committed state at
 * the segment's start (weights and optimizer, by hash), run to the probe step
 * (its leaf is the probe hash) and on to the segment's end (its leaf must be
 * the trainer's committed one). Any referee runs exactly this. A state that
 * cannot be fetched is the trainer's failure to open its commitment: the
 * evidence is then all zeros.
 */
export const reexecuteSegment = async (work: Pick<VerifyWork, "proof" | "audit" | "workload" | "topology" | "shards" | "plan">, deps: Omit<ValidatorDeps, "behaviour">): Promise<SegmentEvidence> => {
  const { tf } = deps.tf
  const workload = requireWorkload(work.workload)
  const start = work.proof.checkpoints.states[work.audit.segment]!
  let weights: Uint8Array, optimizer: Uint8Array
  try {
    weights = await deps.weights.get(start.weights)
    optimizer = await deps.weights.get(start.optimizer)
  } catch (e) {
    // Missing bytes are the trainer's fault; an unreachable store is nobody's verdict (retried).
    if (!weightsMissing(e)) throw e
    return { probeHash: NOTHING, endHash: NOTHING }
  }
  const samples = await deps.data.samples(workload, work.topology, work.shards.map((s) => s.contentHash))
  const model = await workload.build(tf, work.topology)
  const plan = { ...work.plan, epochs: work.proof.epochs, seed: work.proof.seed }
  const trainer = await segmentTrainerFor(work.proof.backend, deps, workload, model, samples, work.topology, plan, { weights, optimizer })
  try {
    await trainer.restore({ weights, optimizer })
    const { from, to } = segmentBounds(work.audit.segment, work.proof.checkpoints.interval, work.proof.steps)
    await trainer.run(from, work.audit.probeStep, () => deps.working?.())
    const probeHash = checkpointHashes(await trainer.checkpoint()).leaf
    await trainer.run(work.audit.probeStep, to, () => deps.working?.())
    return { probeHash, endHash: checkpointHashes(await trainer.checkpoint()).leaf }
  } catch (e) {
    // A state that does not fit the model (wrong size) cannot be resumed: the trainer's failure too.
    if (e instanceof Error && /values, (this )?model/.test(e.message)) return { probeHash: NOTHING, endHash: NOTHING }
    throw e
  } finally {
    await trainer.dispose()
    model.dispose()
  }
}

/**
 * The Verifier Engine's job for one result: measure the submitted weights on
 * the held-out set and re-execute the audited segment. Accept only if the
 * segment ends in the trainer's committed state and the claimed value of the objective's metric is
 * within the metric tolerance of the measured one.
 */
export const verifyWork = async (work: VerifyWork, deps: ValidatorDeps): Promise<Judgement> => {
  const claimed = work.proof.metrics
  const committedEnd = checkpointLeafOf(work)
  if (deps.behaviour === "lazy") {
    const made = `0x${createHash("sha256").update(`lazy:${work.resultId}`).digest("hex")}` as SegmentEvidence["probeHash"]
    return { verdict: "accept", measured: claimed, evidence: { probeHash: made, endHash: committedEnd } }
  }
  const evidence = await reexecuteSegment(work, deps)
  const workload = requireWorkload(work.workload)
  let measured: Metrics = {}
  try {
    measured = await measureWeights(deps, workload, work.topology, await deps.weights.get(work.proof.weightsHash), work.validationHash)
  } catch (e) {
    if (!weightsMissing(e)) throw e
    return { verdict: "reject", measured, evidence, reason: "submitted weights unavailable" }
  }
  const reproduced = evidence.endHash === committedEnd
  const claim = claimed[work.metric]
  const measure = measured[work.metric]
  const metricOk = claim !== undefined && measure !== undefined && Math.abs(claim - measure) <= work.metricTolerance
  deps.progress?.(
    `${work.resultId}: segment ${work.audit.segment} ${reproduced ? "reproduced" : "DOES NOT reproduce"}, measured ${work.metric} ${measure?.toFixed(4)} (claimed ${claim?.toFixed(4)})`
  )
  if (!reproduced) return { verdict: "reject", measured, evidence, reason: `segment ${work.audit.segment} does not reproduce the committed state` }
  if (!metricOk) return { verdict: "reject", measured, evidence, reason: `claimed ${work.metric} ${claim?.toFixed(4) ?? "nothing"} but measured ${measure?.toFixed(4) ?? "nothing"}` }
  return { verdict: "accept", measured, evidence }
}

const checkpointLeafOf = (work: VerifyWork) => checkpointLeaf(work.proof.checkpoints.states[work.audit.segment + 1]!)
