import { describe, expect, it } from "vitest"
import { bar, emptyView, evolveView, lines, watchDone, type TaskView } from "../../../cli/taskProgress"

/** What `neura task watch` shows, from a task's events (pure). */
const created = { type: "TaskCreated", data: { objective: { metric: "accuracy", target: 0.9, direction: "maximize" }, criteria: { maxRounds: 3 }, budget: "1000" } }
const play = (events: ReadonlyArray<{ type: string; data: any }>) => {
  let view: TaskView = emptyView("T1")
  const out: Array<string> = []
  for (const e of events) {
    const next = evolveView(view, e)
    out.push(...lines(view, next, e))
    view = next
  }
  return { view, out }
}
const round1 = [
  created,
  { type: "RoundStarted", data: { round: 1, base: { modelId: "M-1", version: 1 } } },
  { type: "TrainingDispatched", data: { round: 1, assignments: [{}, {}] } },
  { type: "ResultVerified", data: { round: 1, resultId: "T1-r1-s0-a" } },
  { type: "ResultRejected", data: { round: 1, resultId: "T1-r1-s1-b", reason: "forged" } },
  { type: "RoundClosed", data: { round: 1, newVersion: { modelId: "M-1", version: 2 }, metrics: { accuracy: 0.93, loss: 0.2 } } },
  { type: "RewardHeld", data: { resultId: "T1-r1-s0-a" } },
  { type: "RewardAllocated", data: { nodeId: "v1", amount: "40", role: "validator", reason: "agreed" } }
]

describe("task watch progress", () => {
  it("draws a bar per round as results are decided, then the round's version and metrics, and payouts", () => {
    const { out } = play(round1)
    expect(out).toEqual([
      "task T1: accuracy ≥ 0.9, at most 3 rounds, budget 1000 Neura",
      "round 1 started on M-1-v1",
      "round 1 [##########----------] 1/2 results decided — T1-r1-s0-a verified",
      "round 1 [####################] 2/2 results decided — T1-r1-s1-b rejected (forged)",
      "round 1 closed: M-1-v2, accuracy 0.9300, loss 0.2000 (target accuracy 0.9)",
      "paid 40 Neura to v1 (validator: agreed)"
    ])
  })
  it("a completed task is done once no reward is held; exhausted is an outcome too", () => {
    const completed = play([...round1, { type: "TaskCompleted", data: { round: 1, finalVersion: { modelId: "M-1", version: 2 }, metrics: { accuracy: 0.93 } } }])
    expect(completed.view.outcome).toBe("completed")
    expect(completed.out.at(-1)).toMatch(/TASK COMPLETED in round 1: M-1-v2, accuracy 0.9300; waiting for 1 held reward/)
    expect(watchDone(completed.view)).toBe(false)
    expect(watchDone(evolveView(completed.view, { type: "ResultFinalized", data: {} }))).toBe(true)
    const exhausted = play([created, { type: "TaskExhausted", data: { round: 3, reason: "rounds", bestVersion: { modelId: "M-1", version: 3 } } }])
    expect(exhausted.view.outcome).toBe("exhausted")
    expect(watchDone(exhausted.view)).toBe(true)
    expect(exhausted.out.at(-1)).toBe("TASK EXHAUSTED (rounds) after round 3: best M-1-v3, no metrics")
  })
  it("sums payouts per node", () => {
    const v = play([...round1, { type: "RewardAllocated", data: { nodeId: "v1", amount: "2", role: "validator", reason: "x" } }]).view
    expect(v.paid).toEqual({ v1: "42" })
  })
  it("bars", () => {
    expect(bar(0, 0, 4)).toBe("[----] 0/0")
    expect(bar(3, 4, 4)).toBe("[###-] 3/4")
  })
})
