import type { Hash32 } from "../../domain/primitives"
import { auditedSteps } from "../../domain/task/bisection"
import type { CheckpointState } from "../../domain/task/events"
import { eachState, fromState } from "../infra/replay"
import type { AnswerWork } from "../workItems"
import type { TrainerDeps } from "./train"

/**
 * A trainer's answer to a dispute over one of its results: replay the
 * audited segment from its own committed start, upload the state after every
 * step, and name them (domain/task/bisection.ts). The jury then replays only
 * the first step where the answer and a disagreeing judge part.
 *
 * A forger that never trained ("forgeRun") has no states to open: it claims
 * its committed end (the base) after every step, and the one-step replay of
 * the segment's first step proves it wrong.
 */
export const answerDispute = async (work: AnswerWork, deps: TrainerDeps): Promise<Array<CheckpointState>> => {
  const { from, to } = auditedSteps(work)
  const committed = work.proof.checkpoints.states
  if (deps.behaviour === "forgeRun") return Array.from({ length: to - from }, () => committed[work.audit.segment + 1]!)
  const states = await fromState(work, committed[work.audit.segment]!, deps, async (trainer) => {
    const out: Array<CheckpointState> = []
    await eachState(
      trainer,
      from,
      to,
      async (_, state) => void out.push({ weights: (await deps.weights.put(state.weights)) as Hash32, optimizer: (await deps.weights.put(state.optimizer)) as Hash32 }),
      deps.working
    )
    return out
  })
  // Its own committed state is gone from the store: nothing it can answer (the coordinator falls back to the segment).
  if (!states) throw new Error(`${work.resultId}: the committed state at the start of segment ${work.audit.segment} cannot be opened`)
  return states
}
