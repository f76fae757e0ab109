import { stepsToRule } from "../../domain/task/bisection"
import type { Audit, Ruling, TrainingProof } from "../../domain/task/events"
import type { TaskData } from "../../domain/task/state"
import { contestOf } from "../../domain/task/votes"
import type { ReplayDeps } from "../infra/replay"
import type { RunToReplay } from "../workItems"
import { reexecuteSegment } from "../validator/verify"

/**
 * The referee: the coordinator's re-execution of what a contest is about,
 * where no jury rules. A contested result its trainer answered, whose
 * disagreeing judges all revealed step lists, is bisected and ruled on by its
 * jury of staked validators (domain/task/jury.ts). Any other is ruled on here
 * by replaying its whole audited segment, as a challenge is.
 */
export const makeReferee = (deps: {
  readonly replay: () => Promise<ReplayDeps>
  readonly runOf: (t: TaskData, proof: TrainingProof) => RunToReplay
  readonly log: (line: string) => void
}) => {
  /** Re-execute a segment of a proof exactly as a judge does. */
  const reexecute = async (t: TaskData, proof: TrainingProof, audit: Audit) => reexecuteSegment({ ...deps.runOf(t, proof), audit }, await deps.replay())

  const rulingsFor = async (t: TaskData): Promise<Array<Ruling>> => {
    const rulings: Array<Ruling> = []
    const where = `${t.taskId} r${t.round!.round}`
    for (const r of t.round!.results.values()) {
      const contest = contestOf(r)
      if (!contest) continue
      const steps = stepsToRule(r)
      if (steps) {
        deps.log(`${where}: ${r.resultId} bisected to step${steps.length > 1 ? "s" : ""} ${steps.join(", ")}, ruled by its jury (${contest})`)
        continue
      }
      rulings.push({ resultId: r.resultId, evidence: await reexecute(t, r.proof, r.audit!) })
      deps.log(`${where}: refereed ${r.resultId} by replaying segment ${r.audit!.segment} (${contest}; ${r.answer ? "a judge revealed no step list" : "its trainer did not answer"})`)
    }
    return rulings
  }
  return { reexecute, rulingsFor }
}
