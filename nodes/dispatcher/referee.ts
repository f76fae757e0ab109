import { stateBefore, stepsToRule, UNOPENED } from "../../domain/task/bisection"
import type { Audit, Ruling, StepRuling, TrainingProof } from "../../domain/task/events"
import type { TaskData } from "../../domain/task/state"
import { contestOf } from "../../domain/task/votes"
import { replayLeaves, type ReplayDeps, type RunToReplay } from "../infra/replay"
import { reexecuteSegment } from "../validator/verify"

/**
 * The referee: the coordinator's re-execution of what a contest is about.
 * A contested result its trainer answered, whose disagreeing judges all
 * revealed step lists, is bisected: only the first step where each of them
 * parts from the answer is replayed, from the state both agree on
 * (domain/task/bisection.ts). Any other is ruled on by replaying its whole
 * audited segment, as a challenge is.
 */
export const makeReferee = (deps: {
  readonly replay: () => Promise<ReplayDeps>
  readonly runOf: (t: TaskData, proof: TrainingProof) => RunToReplay
  readonly log: (line: string) => void
}) => {
  /** Re-execute a segment of a proof exactly as a judge does. */
  const reexecute = async (t: TaskData, proof: TrainingProof, audit: Audit) => reexecuteSegment({ ...deps.runOf(t, proof), audit }, await deps.replay())

  const rulingsFor = async (t: TaskData): Promise<{ rulings: Array<Ruling>; stepRulings: Array<StepRuling> }> => {
    const rulings: Array<Ruling> = []
    const stepRulings: Array<StepRuling> = []
    const where = `${t.taskId} r${t.round!.round}`
    for (const r of t.round!.results.values()) {
      const contest = contestOf(r)
      if (!contest) continue
      const steps = stepsToRule(r)
      if (steps) {
        for (const step of steps) {
          const start = stateBefore(r, step)
          const leaf = start && (await replayLeaves(deps.runOf(t, r.proof), start, step - 1, step, await deps.replay()))?.[0]
          stepRulings.push({ resultId: r.resultId, step, leaf: leaf ?? UNOPENED })
        }
        deps.log(`${where}: refereed ${r.resultId} by bisection, replaying step${steps.length > 1 ? "s" : ""} ${steps.join(", ")} only (${contest})`)
        continue
      }
      rulings.push({ resultId: r.resultId, evidence: await reexecute(t, r.proof, r.audit!) })
      deps.log(`${where}: refereed ${r.resultId} by replaying segment ${r.audit!.segment} (${contest}; ${r.answer ? "a judge revealed no step list" : "its trainer did not answer"})`)
    }
    return { rulings, stepRulings }
  }
  return { reexecute, rulingsFor }
}
