import type { NatsConnection } from "@nats-io/transport-node"
import type { NeuraClient } from "../../commands/client"
import { startNodeWorker } from "../infra/nodeWorker"
import type { WorkQueueConfig } from "../infra/workQueue"
import { verifyWork, type ValidatorDeps } from "./verify"

/** A validator node: re-checks the results routed to it and casts signed votes. */
export const startValidator = (options: {
  readonly nc: NatsConnection
  readonly nodeId: string
  readonly client: NeuraClient
  readonly deps: Omit<ValidatorDeps, "working" | "progress">
  readonly queue?: WorkQueueConfig
  readonly log?: (line: string) => void
}) => {
  const log = options.log ?? (() => undefined)
  return startNodeWorker({
    nc: options.nc,
    nodeId: options.nodeId,
    ...(options.queue ? { queue: options.queue } : {}),
    log,
    handle: async (item, control) => {
      if (item._tag !== "VerifyWork") throw new Error("validator got a non-verification item")
      const vote = await verifyWork(item, { ...options.deps, working: control.working, progress: (l) => log(`${options.nodeId}: ${l}`) })
      await options.client.command(
        "CastVerificationVote",
        { taskId: item.taskId, round: item.round, resultId: item.resultId, nodeId: item.nodeId, ...vote },
        { commandId: `vote-${item.resultId}-${item.nodeId}` }
      )
      log(`${options.nodeId}: voted ${vote.verdict} on ${item.resultId}${vote.verdict === "reject" && "reason" in vote ? ` (${vote.reason})` : ""}`)
    }
  })
}
