import { createHash } from "node:crypto"
import type { Hash32, Metrics } from "../../domain/primitives"
import { scoreCommitment } from "../../domain/scoring/commitment"
import { rulingCommitment, voteCommitment } from "../../domain/task/commitments"
import type { StepLeaf } from "../../domain/task/events"
import { validatorVerdictsTotal } from "../../infra/metrics"
import { describeMetrics } from "../infra/mlDeps"
import { startCommandingWorker, type NodeWorkerOptions } from "../infra/nodeWorker"
import { ruleOnSteps } from "./jury"
import { scoreWork } from "./score"
import { verifyWork, type Judgement, type ValidatorDeps } from "./verify"

/** At most this many judgements and scores are remembered between commit and reveal. */
const REMEMBERED = 256
const remember = <V>(map: Map<string, V>, key: string, value: V) => {
  if (map.size >= REMEMBERED) map.delete(map.keys().next().value!)
  map.set(key, value)
}

/**
 * A validator node: judges the results routed to it, sits on the juries of
 * bisected disputes, and scores the model versions it is drawn for. Each time it first commits a hidden vote (or
 * score), then (when the coordinator says reveals are open) reveals it. The
 * salt is derived from the node's secret key and what is judged, so a
 * restarted node reveals what it committed without having stored anything
 * (it measures again: the measurement is deterministic).
 */
export const startValidator = (options: NodeWorkerOptions<Omit<ValidatorDeps, "working" | "progress">>) => {
  const judged = new Map<string, Judgement>()
  const scored = new Map<string, Metrics>()
  const ruled = new Map<string, Array<StepLeaf>>()
  const saltOf = (subject: string) =>
    `0x${createHash("sha256").update("neuralink-salt:").update(options.client.key.secretKey).update(`:${subject}`).digest("hex")}` as Hash32
  return startCommandingWorker(options, {
    VerifyWork: async (item, deps) => {
      const judgement = judged.get(item.resultId) ?? (await verifyWork(item, deps))
      remember(judged, item.resultId, judgement)
      const salt = saltOf(item.resultId)
      const ids = { taskId: item.taskId, round: item.round, resultId: item.resultId, nodeId: item.nodeId }
      if (item.phase === "commit") {
        return {
          type: "CommitVote",
          payload: { ...ids, commitment: voteCommitment({ ...ids, verdict: judgement.verdict, evidence: judgement.evidence, salt }) },
          commandId: `commit-${item.resultId}-${item.nodeId}`,
          summary: `committed a vote on ${item.resultId}`
        }
      }
      validatorVerdictsTotal.inc({ verdict: judgement.verdict })
      return {
        type: "CastVerificationVote",
        payload: { ...ids, ...judgement, salt },
        commandId: `vote-${item.resultId}-${item.nodeId}`,
        summary: `revealed ${judgement.verdict} on ${item.resultId}${judgement.reason ? ` (${judgement.reason})` : ""}`
      }
    },
    JuryWork: async (item, deps) => {
      const rulings = ruled.get(item.resultId) ?? (await ruleOnSteps(item, deps))
      remember(ruled, item.resultId, rulings)
      const salt = saltOf(`jury:${item.resultId}`)
      const ids = { taskId: item.taskId, round: item.round, resultId: item.resultId, nodeId: item.nodeId }
      const steps = rulings.map((x) => x.step).join(", ")
      if (item.phase === "commit") {
        return {
          type: "CommitRuling",
          payload: { ...ids, commitment: rulingCommitment({ ...ids, rulings, salt }) },
          commandId: `jury-commit-${item.resultId}-${item.nodeId}`,
          summary: `committed a ruling on step(s) ${steps} of ${item.resultId}`
        }
      }
      return {
        type: "RevealRuling",
        payload: { ...ids, rulings, salt },
        commandId: `jury-reveal-${item.resultId}-${item.nodeId}`,
        summary: `revealed its ruling on step(s) ${steps} of ${item.resultId}`
      }
    },
    ScoreWork: async (item, deps) => {
      const metrics = scored.get(item.scoringId) ?? (await scoreWork(item, deps))
      remember(scored, item.scoringId, metrics)
      const salt = saltOf(`score:${item.scoringId}`)
      const ids = { scoringId: item.scoringId, nodeId: item.nodeId }
      if (item.phase === "commit") {
        return {
          type: "CommitScore",
          payload: { ...ids, commitment: scoreCommitment({ ...ids, metrics, salt }) },
          commandId: `score-commit-${item.scoringId}-${item.nodeId}`,
          summary: `committed a score for ${item.scoringId} (${item.artefact._tag === "Onnx" ? "onnxruntime" : "TF.js"})`
        }
      }
      return {
        type: "RevealScore",
        payload: { ...ids, metrics, salt },
        commandId: `score-reveal-${item.scoringId}-${item.nodeId}`,
        summary: `revealed ${describeMetrics(metrics)} for ${item.scoringId}`
      }
    }
  })
}
