import { createHash } from "node:crypto"
import { checkpointLeaf } from "../../domain/task/commitments"
import { auditedSteps, UNOPENED } from "../../domain/task/bisection"
import type { SegmentEvidence } from "../../domain/task/events"
import type { Metrics } from "../../domain/primitives"
import { requireWorkload } from "../../workloads/registry"
import { weightsMissing } from "../../infra/weights/WeightsStore"
import { measureWeights, type MlNodeDeps } from "../infra/mlDeps"
import { replayLeaves, type ReplayDeps } from "../infra/replay"
import type { VerifyWork } from "../workItems"

/**
 * "lazy" does no re-execution: it copies the trainer's committed end leaf and
 * claims, and makes up the probe (and a step list around it). The other
 * judges' probes, and the jury or the referee, catch it.
 */
export type ValidatorBehaviour = "honest" | "lazy"

export type ValidatorDeps = MlNodeDeps<ValidatorBehaviour>

/** What a judge found, before it is committed and revealed. */
export interface Judgement {
  readonly verdict: "accept" | "reject"
  readonly measured: Metrics
  readonly evidence: SegmentEvidence
  readonly reason?: string
}

/**
 * Re-execute the audited segment of a result: restore the committed state at
 * the segment's start (weights and optimizer, by hash) and run to the
 * segment's end, keeping the leaf after every step: the one at the probe
 * step is the probe hash, the last one the end hash (the trainer's committed
 * leaf, if it trained honestly), and the whole list is what a dispute
 * bisects (domain/task/bisection.ts). Any referee or watcher runs exactly
 * this. A start state that cannot be opened is the trainer's failure to open
 * its commitment: the evidence is then all zeros.
 */
export const reexecuteSegment = async (work: Pick<VerifyWork, "proof" | "audit" | "workload" | "topology" | "plan">, deps: ReplayDeps): Promise<SegmentEvidence> => {
  const { from, to } = auditedSteps(work)
  const leaves = await replayLeaves(work, work.proof.checkpoints.states[work.audit.segment]!, from, to, deps)
  if (!leaves) return { probeHash: UNOPENED, endHash: UNOPENED }
  return { probeHash: leaves[work.audit.probeStep - from - 1]!, endHash: leaves[leaves.length - 1]!, steps: leaves }
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
    // It must reveal a list holding its probe and end: it makes one up around them.
    const { from, to } = auditedSteps(work)
    const made = (s: number) => `0x${createHash("sha256").update(`lazy:${work.resultId}:${s}`).digest("hex")}` as SegmentEvidence["probeHash"]
    const steps = Array.from({ length: to - from }, (_, i) => (i === to - from - 1 ? committedEnd : made(from + 1 + i)))
    return { verdict: "accept", measured: claimed, evidence: { probeHash: steps[work.audit.probeStep - from - 1]!, endHash: committedEnd, steps } }
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
