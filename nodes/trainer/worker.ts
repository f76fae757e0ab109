import { startCommandingWorker, type NodeWorkerOptions } from "../infra/nodeWorker"
import { trainOnWork, type FinishedTrainings, type TrainerDeps } from "./train"

/** A trainer node: trains what its queue routes to it and submits signed results. */
export const startTrainer = (options: NodeWorkerOptions<Omit<TrainerDeps, "working" | "progress">>) => {
  const finished: FinishedTrainings = new Map()
  return startCommandingWorker(options, {
    TrainWork: async (item, deps) => {
    const result = await trainOnWork(item, deps, finished)
    return {
      type: "SubmitResult",
      payload: { taskId: item.taskId, round: item.round, resultId: result.resultId, nodeId: item.nodeId, proof: result.proof },
      // The result id is the command id.
      commandId: result.resultId,
      summary: `submitted ${result.resultId} (${result.proof.weightsHash.slice(0, 10)}…)`
    }
    }
  })
}
