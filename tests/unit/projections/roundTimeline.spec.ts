import { describe, expect, it } from "vitest"
import type { RecordedEvent } from "../../../domain/recordedEvent"
import { medianPhases, roundTimeline } from "../../../projections/roundTimeline"

/** Only what the timeline reads: the step, its task and round, and when the API recorded it. */
const at = (ms: number, data: Record<string, unknown>) => ({ recordedAt: new Date(Date.UTC(2026, 10, 26, 10, 0, 0, ms)).toISOString(), data }) as unknown as RecordedEvent
const task = (tag: string, round: number, extra: Record<string, unknown> = {}) => ({ _tag: tag, taskId: "T1", round, ...extra })

describe("roundTimeline: where a round's time goes, from the log", () => {
  it("splits each round into dispatch, train+upload, verify, aggregate, commit and the gap to the next", () => {
    const log = [
      at(0, task("RoundStarted", 1)),
      at(10, task("TrainingDispatched", 1)),
      at(400, task("ResultSubmitted", 1)),
      at(450, task("ResultSubmitted", 1)),
      at(460, { _tag: "ResultSubmitted", taskId: "OTHER", round: 1 }),
      at(600, task("VerificationVoted", 1)),
      at(700, task("VerificationVoted", 1)),
      at(760, { _tag: "ModelVersionCreated", modelId: "M-1", version: 2 }),
      at(770, task("RoundClosed", 1, { newVersion: { modelId: "M-1", version: 2 } })),
      at(800, task("RoundStarted", 2)),
      at(805, task("TrainingDispatched", 2)),
      // Round 2 never got a result: only the phases it reached.
      at(900, task("RoundClosed", 2))
    ]
    expect(roundTimeline(log, "T1")).toEqual([
      { round: 1, dispatch: 10, trainAndUpload: 440, verify: 250, aggregate: 60, commit: 10, nextRound: 30, total: 800 },
      { round: 2, dispatch: 5, total: 100 }
    ])
    expect(medianPhases(roundTimeline(log, "T1"))).toEqual({ dispatch: 10, trainAndUpload: 440, verify: 250, aggregate: 60, commit: 10, nextRound: 30, total: 800 })
  })

  it("a round closed without a new version has no aggregate; its commit runs from the last vote", () => {
    const log = [at(0, task("RoundStarted", 1)), at(5, task("TrainingDispatched", 1)), at(50, task("ResultSubmitted", 1)), at(80, task("VerificationVoted", 1)), at(95, task("RoundClosed", 1))]
    expect(roundTimeline(log, "T1")).toEqual([{ round: 1, dispatch: 5, trainAndUpload: 45, verify: 30, commit: 15, total: 95 }])
    expect(roundTimeline(log, "T2")).toEqual([])
  })
})
