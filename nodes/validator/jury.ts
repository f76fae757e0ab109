import { createHash } from "node:crypto"
import { UNOPENED } from "../../domain/task/bisection"
import type { StepLeaf } from "../../domain/task/events"
import { replayLeaves } from "../infra/replay"
import type { JuryWork } from "../workItems"
import type { ValidatorDeps } from "./verify"

/**
 * A juror's work on a bisected dispute (domain/task/jury.ts): replay each
 * disputed step alone, from the state before it that the trainer and the
 * judge agree on. A state that cannot be fetched is the answer's fault: the
 * juror rules all zeros for that step. A "lazy" juror replays nothing and
 * makes its leaves up (the majority proves it wrong).
 */
export const ruleOnSteps = async (work: JuryWork, deps: ValidatorDeps): Promise<Array<StepLeaf>> => {
  if (deps.behaviour === "lazy") return work.steps.map(({ step }) => ({ step, leaf: `0x${createHash("sha256").update(`lazy-ruling:${work.resultId}:${work.nodeId}:${step}`).digest("hex")}` as StepLeaf["leaf"] }))
  const rulings: Array<StepLeaf> = []
  for (const { step, start } of work.steps) {
    const leaf = (await replayLeaves(work, start, step - 1, step, deps))?.[0]
    rulings.push({ step, leaf: (leaf ?? UNOPENED) as StepLeaf["leaf"] })
  }
  return rulings
}
