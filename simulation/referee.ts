import { auditedSteps, stateBefore, stepsToRule } from "../domain/task/bisection"
import { checkpointLeaf } from "../domain/task/commitments"
import type { CheckpointState, Ruling, StepRuling } from "../domain/task/events"
import { settleRound } from "../domain/task/settle"
import type { TaskState } from "../domain/task/state"
import { contestOf } from "../domain/task/votes"
import type { Tally } from "./tally"
import { leavesOf, replay, stepFrom } from "./training"

/**
 * The simulation's referee. A contested result its trainer answered is
 * bisected: the referee replays only the step each dispute comes down to.
 * Every contested result is also settled the old way, by replaying its whole
 * audited segment, and the two are compared: they agree on every dispute an
 * honest party raised. Where they differ, the segment replay caught a forgery
 * that no honest judge disputed (the panel was the forger's accomplices and
 * lazy judges); bisection leaves that to the challenge window's watchers.
 */
export const referee = (state: TaskState, truths: ReadonlyMap<string, ReadonlyArray<CheckpointState>>, at: string, tally: Tally) => {
  const round = state.status === "running" ? state.round! : (undefined as never)
  const contested = [...round.results.values()].filter((r) => contestOf(r))
  const rulings: Array<Ruling> = []
  const stepRulings: Array<StepRuling> = []
  const segmentRulings: Array<Ruling> = []
  for (const r of contested) {
    const { from, to } = auditedSteps(r)
    const chain = leavesOf(replay(truths.get(r.resultId)![r.audit!.segment]!, from, to))
    const bySegment = { resultId: r.resultId, evidence: { probeHash: chain[r.audit!.probeStep - from - 1]!, endHash: chain[chain.length - 1]! } }
    segmentRulings.push(bySegment)
    tally.segmentRefereeUnits += to - from
    const steps = stepsToRule(r)
    if (!steps) {
      rulings.push(bySegment)
      tally.refereeUnits += to - from
      continue
    }
    for (const step of steps) stepRulings.push({ resultId: r.resultId, step, leaf: checkpointLeaf(stepFrom(stateBefore(r, step)!, step)) })
    tally.refereeUnits += steps.length
    tally.bisected++
  }
  const settled = settleRound(round, rulings, at, true, stepRulings)
  const asBefore = settleRound(round, segmentRulings, at, true)
  const wrongOn = (s: typeof settled, id: string) => s.provenWrong.filter((w) => w.resultId === id).map((w) => w.nodeId).sort().join(",")
  for (const r of contested) {
    if (!stepsToRule(r)) continue
    const a = settled.results.get(r.resultId)!
    const b = asBefore.results.get(r.resultId)!
    if (a.outcome === b.outcome && wrongOn(settled, r.resultId) === wrongOn(asBefore, r.resultId)) tally.bisectionAgrees++
    else if (b.penalized && !a.penalized) tally.bisectionLeftToWatchers++
  }
  return { rulings, stepRulings, settled }
}
