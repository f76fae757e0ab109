import { Result } from "effect"
import type { ReplaceValidator } from "./commands"
import { drawValidators } from "./draw"
import { NotEnoughParticipants, NotTaskOwner, ResultNotFound, ValidatorNotReplaceable, type TaskError } from "./errors"
import type { TaskEvent } from "./events"
import type { TaskState } from "./state"

type Decision = Result.Result<ReadonlyArray<TaskEvent>, TaskError>

/**
 * Take a silent validator off a result it has not committed a vote on yet.
 * Only the coordinator (which watches the nodes' heartbeats) or the task
 * owner may say who is silent; who replaces it is not theirs to choose: the
 * result's draw continues from its seed among the validators not judging it
 * and never taken off it (never the trainer's node or address). The result
 * must still be undecided: a decided result needs no more judges.
 */
export const replaceValidator = (c: ReplaceValidator, state: TaskState): Decision => {
  if (state.status === "none") return Result.fail(new ResultNotFound({ resultId: c.resultId }))
  if (!(c.actorIsCoordinator || c.actor === state.config.owner)) return Result.fail(new NotTaskOwner({ taskId: c.taskId, actor: c.actor }))
  const round = state.status === "running" && state.round?.round === c.round ? state.round : undefined
  const result = round?.results.get(c.resultId)
  if (!result) return Result.fail(new ResultNotFound({ resultId: c.resultId }))
  const refuse = (reason: string) => Result.fail(new ValidatorNotReplaceable({ resultId: c.resultId, nodeId: c.nodeId, reason }))
  if (result.outcome) return refuse(`the result is already ${result.outcome}`)
  if (!result.validators.includes(c.nodeId)) return refuse("it is not judging this result")
  if (result.votes.some((v) => v.nodeId === c.nodeId)) return refuse("it has already voted")
  if (result.commitments.has(c.nodeId)) return refuse("it has committed its vote")
  const candidates = [...state.participants.values()].filter((p) => p.role === "validator")
  const [replacement] = drawValidators(result.seed!, { nodeId: result.nodeId, address: result.trainer }, candidates, 1, [...result.validators, ...(result.replaced ?? [])])
  if (!replacement) return Result.fail(new NotEnoughParticipants({ role: "validator", needed: 1, have: 0 }))
  return Result.succeed([
    { _tag: "ValidatorReplaced", taskId: c.taskId, round: c.round, resultId: c.resultId, replaced: c.nodeId, replacement, replacedAt: c.at }
  ])
}
