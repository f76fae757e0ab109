import { startCommandingWorker, type NodeWorkerOptions } from "../infra/nodeWorker"
import { answerDispute } from "./answer"
import { trainOnWork, type FinishedTrainings, type TrainerDeps } from "./train"

/** A trainer node: trains what its queue routes to it and submits signed results; opens a contested result's audited segment. */
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
    },
    AnswerWork: async (item, deps) => {
      const states = await answerDispute(item, deps)
      return {
        type: "AnswerDispute",
        payload: { taskId: item.taskId, round: item.round, resultId: item.resultId, nodeId: item.nodeId, states },
        commandId: `answer-${item.resultId}`,
        summary: `opened segment ${item.audit.segment} of ${item.resultId} step by step (${states.length} states) for its dispute`
      }
    }
  })
}
