import { createHash } from "node:crypto"
import { voteCommitment } from "../../domain/task/commitments"
import type { Hash32 } from "../../domain/primitives"
import { startCommandingWorker, type NodeWorkerOptions } from "../infra/nodeWorker"
import { verifyWork, type Judgement, type ValidatorDeps } from "./verify"

/**
 * A validator node: judges the results routed to it. First it commits a
 * hidden vote, then (when the coordinator says reveals are open) reveals it.
 * The salt is derived from the node's secret key and the result, so a
 * restarted node reveals what it committed without having stored anything.
 */
export const startValidator = (options: NodeWorkerOptions<Omit<ValidatorDeps, "working" | "progress">>) => {
  const judged = new Map<string, Judgement>()
  const saltOf = (resultId: string) =>
    `0x${createHash("sha256").update("neuralink-salt:").update(options.client.key.secretKey).update(`:${resultId}`).digest("hex")}` as Hash32
  return startCommandingWorker(options, "VerifyWork", async (item, deps) => {
    const judgement = judged.get(item.resultId) ?? (await verifyWork(item, deps))
    if (judged.size >= 256) judged.delete(judged.keys().next().value!)
    judged.set(item.resultId, judgement)
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
    return {
      type: "CastVerificationVote",
      payload: { ...ids, ...judgement, salt },
      commandId: `vote-${item.resultId}-${item.nodeId}`,
      summary: `revealed ${judgement.verdict} on ${item.resultId}${judgement.reason ? ` (${judgement.reason})` : ""}`
    }
  })
}
