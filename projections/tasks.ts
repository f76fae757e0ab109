import { directionOf } from "../domain/task/objective"
import type { Metrics } from "../domain/primitives"
import type { RecordedEvent } from "../domain/recordedEvent"
import { alreadyApplied, positionOf, type Projection } from "./projection"
import type { TaskDoc } from "./documents"
export type { TaskDoc } from "./documents"

const left = (d: Pick<TaskDoc, "budget" | "paidOut" | "refunded">) => (BigInt(d.budget) - BigInt(d.paidOut) - BigInt(d.refunded)).toString()

/** Tasks by id: status, rounds, budget left, participants, progress. */
const latest = (metrics: Metrics | undefined) =>
  metrics ? { latestMetrics: metrics, ...(metrics.accuracy !== undefined ? { latestAccuracy: metrics.accuracy } : {}) } : {}

export const tasksProjection: Projection<TaskDoc> = {
  name: "tasks",
  canHandle: ["TaskCreated", "NodeJoinedTask", "RoundStarted", "RoundClosed", "RewardAllocated", "BudgetRefunded", "TaskContinued", "TaskCompleted", "TaskExhausted"],
  evolve: (read, e: RecordedEvent) => {
    const d = e.data
    if (!("taskId" in d)) return []
    const id = d.taskId as string
    const doc = read<TaskDoc>("tasks", id)
    if (alreadyApplied(doc, e)) return []
    const at = { position: positionOf(e), updatedAt: e.recordedAt }
    if (d._tag === "TaskCreated") {
      return [
        [
          id,
          {
            ...at,
            taskId: id,
            title: d.title,
            owner: d.owner,
            status: "open",
            modelId: d.base.modelId,
            workload: d.workload ?? "digits",
            objective: { metric: d.objective.metric, direction: directionOf(d.objective), target: d.objective.target },
            target: d.objective.target,
            maxRounds: d.criteria.maxRounds,
            rounds: 0,
            latestVersion: d.base.version,
            budget: d.budget.toString(),
            paidOut: "0",
            refunded: "0",
            budgetLeft: d.budget.toString(),
            participants: [],
            createdAt: e.recordedAt
          }
        ]
      ]
    }
    if (!doc) return []
    switch (d._tag) {
      case "NodeJoinedTask":
        return [[id, { ...doc, ...at, participants: [...doc.participants, { nodeId: d.nodeId, role: d.role, address: d.address }] }]]
      case "RoundStarted":
        return [[id, { ...doc, ...at, status: "running", rounds: d.round }]]
      case "RoundClosed":
        return [[id, { ...doc, ...at, status: "open", ...(d.newVersion ? { latestVersion: d.newVersion.version } : {}), ...latest(d.metrics) }]]
      case "RewardAllocated": {
        const next = { ...doc, ...at, paidOut: (BigInt(doc.paidOut) + d.amount).toString() }
        return [[id, { ...next, budgetLeft: left(next) }]]
      }
      case "BudgetRefunded": {
        const next = { ...doc, ...at, refunded: (BigInt(doc.refunded) + d.amount).toString() }
        return [[id, { ...next, budgetLeft: left(next) }]]
      }
      case "TaskContinued":
        return [[id, { ...doc, ...at, status: "open" }]]
      case "TaskCompleted":
        return [[id, { ...doc, ...at, status: "completed", latestVersion: d.finalVersion.version, ...latest(d.metrics) }]]
      case "TaskExhausted":
        return [[id, { ...doc, ...at, status: "exhausted" }]]
      default:
        return []
    }
  }
}
