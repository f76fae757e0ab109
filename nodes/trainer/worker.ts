import { startCommandingWorker, type NodeWorkerOptions } from "../infra/nodeWorker"
import { answerDispute } from "./answer"
import { trainerSpeculations } from "../../infra/metrics"
import { readyToSubmit, trainOnWork, type FinishedTrainings, type TrainerDeps } from "./train"

/**
 * A trainer node: trains what its queue routes to it and submits signed
 * results; opens a contested result's audited segment. Speculative work (the
 * next round, routed while this one is verified) is trained and uploaded but
 * not submitted: the round's own dispatch of the same work finds it ready in
 * `finished`.
 */
export const startTrainer = (options: NodeWorkerOptions<Omit<TrainerDeps, "working" | "progress">>) => {
  const finished: FinishedTrainings = new Map()
  return startCommandingWorker(options, {
    TrainWork: async (item, deps) => {
      const ready = readyToSubmit(finished, item)
      if (item.speculative) {
        if (ready) return undefined
        // A guess that fails is dropped, not retried: the round's own dispatch trains it if it comes.
        const failed = await trainOnWork(item, deps, finished).then(() => undefined, (e: unknown) => e)
        if (failed) {
          deps.progress(`dropped speculative ${item.taskId} r${item.round} s${item.slot}: ${failed instanceof Error ? failed.message : String(failed)}`)
          return undefined
        }
        trainerSpeculations.inc({ outcome: "trained" })
        deps.progress(`trained ${item.taskId} r${item.round} s${item.slot} ahead of its round (speculative, not submitted)`)
        return undefined
      }
      if (ready) trainerSpeculations.inc({ outcome: "used" })
      const result = await trainOnWork(item, deps, finished)
      return {
        type: "SubmitResult",
        payload: { taskId: item.taskId, round: item.round, resultId: result.resultId, nodeId: item.nodeId, proof: result.proof },
        // The result id is the command id.
        commandId: result.resultId,
        summary: `submitted ${result.resultId} (${result.proof.weightsHash.slice(0, 10)}…)${ready ? ", trained ahead of its round" : ""}`
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
