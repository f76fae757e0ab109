import { startCommandingWorker, type NodeWorkerOptions } from "../infra/nodeWorker"
import { verifyWork, type ValidatorDeps } from "./verify"

/** A validator node: re-checks the results routed to it and casts signed votes. */
export const startValidator = (options: NodeWorkerOptions<Omit<ValidatorDeps, "working" | "progress">>) =>
  startCommandingWorker(options, "VerifyWork", async (item, deps) => {
    const vote = await verifyWork(item, deps)
    return {
      type: "CastVerificationVote",
      payload: { taskId: item.taskId, round: item.round, resultId: item.resultId, nodeId: item.nodeId, ...vote },
      commandId: `vote-${item.resultId}-${item.nodeId}`,
      summary: `voted ${vote.verdict} on ${item.resultId}${vote.verdict === "reject" && "reason" in vote ? ` (${vote.reason})` : ""}`
    }
  })
