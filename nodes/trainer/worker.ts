import type { NatsConnection } from "@nats-io/transport-node"
import type { NeuraClient } from "../../commands/client"
import { startNodeWorker } from "../infra/nodeWorker"
import type { WorkQueueConfig } from "../infra/workQueue"
import { trainOnWork, type TrainerDeps } from "./train"

/** A trainer node: trains what its queue routes to it and submits signed results. */
export const startTrainer = (options: {
  readonly nc: NatsConnection
  readonly nodeId: string
  /** Signs as this node's key. */
  readonly client: NeuraClient
  readonly deps: Omit<TrainerDeps, "working" | "progress">
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
      if (item._tag !== "TrainWork") throw new Error("trainer got a non-training item")
      const result = await trainOnWork(item, { ...options.deps, working: control.working, progress: (l) => log(`${options.nodeId}: ${l}`) })
      // The result id is the command id: a redelivered item re-submits as a no-op.
      await options.client.command(
        "SubmitResult",
        { taskId: item.taskId, round: item.round, resultId: result.resultId, nodeId: item.nodeId, proof: result.proof },
        { commandId: result.resultId }
      )
      log(`${options.nodeId}: submitted ${result.resultId} (${result.proof.weightsHash.slice(0, 10)}…)`)
    }
  })
}
