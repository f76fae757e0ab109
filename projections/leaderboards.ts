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

/** Per task: who earned what, and whose results were verified at what accuracy. */
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
    if (d._tag === "TaskCreated") return [[taskId, { position, taskId, entries: [] }]]
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
      const best = Math.max(x.bestAccuracy ?? 0, d.consensusMetrics.accuracy)
      return [[taskId, { ...doc, position, entries: put({ ...x, verifiedResults: x.verifiedResults + 1, bestAccuracy: best }) }]]
    }
    return []
  }
}
