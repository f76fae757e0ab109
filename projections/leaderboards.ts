import { directionOf } from "../domain/task/objective"
import type { RecordedEvent } from "../domain/recordedEvent"
import { alreadyApplied, positionOf, type Projection } from "./projection"
import type { LeaderboardEntry, LeaderboardDoc } from "./documents"
export type { LeaderboardEntry, LeaderboardDoc } from "./documents"

const sort = (entries: ReadonlyArray<LeaderboardEntry>) =>
  [...entries].sort((a, b) => {
    const ea = BigInt(a.earned)
    const eb = BigInt(b.earned)
    return ea !== eb ? (eb > ea ? 1 : -1) : b.verifiedResults - a.verifiedResults || (a.participant < b.participant ? -1 : 1)
  })

/** Per task: who earned what, and whose results were verified at what value of the objective's metric. */
export const leaderboardsProjection: Projection<LeaderboardDoc> = {
  name: "leaderboards",
  canHandle: ["TaskCreated", "RewardAllocated", "ResultVerified"],
  evolve: (read, e: RecordedEvent) => {
    const d = e.data
    if (!("taskId" in d)) return []
    const taskId = d.taskId as string
    const doc = read<LeaderboardDoc>("leaderboards", taskId)
    if (alreadyApplied(doc, e)) return []
    const position = positionOf(e)
    if (d._tag === "TaskCreated") return [[taskId, { position, taskId, objective: { metric: d.objective.metric, direction: directionOf(d.objective) }, entries: [] }]]
    if (!doc) return []
    const entry = (participant: string, role: string) =>
      doc.entries.find((x) => x.participant === participant) ?? { participant, role, earned: "0", verifiedResults: 0 }
    const put = (x: LeaderboardEntry) => sort([...doc.entries.filter((y) => y.participant !== x.participant), x])
    if (d._tag === "RewardAllocated") {
      const who = d.nodeId ?? d.recipient
      const x = entry(who, d.role)
      return [[taskId, { ...doc, position, entries: put({ ...x, earned: (BigInt(x.earned) + d.amount).toString() }) }]]
    }
    if (d._tag === "ResultVerified") {
      const x = entry(d.nodeId, "trainer")
      const objective = doc.objective ?? { metric: "accuracy", direction: "maximize" }
      const value = d.consensusMetrics[objective.metric]
      const better = (a: number, b: number | undefined) => (b === undefined ? a : objective.direction === "minimize" ? Math.min(a, b) : Math.max(a, b))
      const accuracy = d.consensusMetrics.accuracy
      return [
        [
          taskId,
          {
            ...doc,
            position,
            entries: put({
              ...x,
              verifiedResults: x.verifiedResults + 1,
              ...(value !== undefined ? { bestMetric: better(value, x.bestMetric) } : {}),
              ...(accuracy !== undefined ? { bestAccuracy: Math.max(accuracy, x.bestAccuracy ?? 0) } : {})
            })
          }
        ]
      ]
    }
    return []
  }
}
