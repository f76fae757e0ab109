import { Result } from "effect"
import type { ReplaceValidator } from "./commands"
import { NotEnoughParticipants, NotTaskOwner, ResultNotFound, ValidatorNotReplaceable, type TaskError } from "./errors"
import type { TaskEvent } from "./events"
import type { TaskState } from "./state"

type Decision = Result.Result<ReadonlyArray<TaskEvent>, TaskError>

/**
 * Take a silent validator off a result it has not judged yet. Only the
 * coordinator (which watches the nodes' heartbeats) or the task owner may;
 * the replacement must be a validator of the task that could have been drawn
 * for this result in the first place: not the trainer's node or address, not
 * already judging it, never taken off it before. The result must still be
 * undecided: a decided result needs no more judges.
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
  const candidate = state.participants.get(c.replacement)
  if (candidate?.role !== "validator") return Result.fail(new NotEnoughParticipants({ role: "validator", needed: 1, have: 0 }))
  if (candidate.nodeId === result.nodeId || candidate.address === result.trainer) return refuse(`${c.replacement} belongs to the trainer`)
  if (result.validators.includes(c.replacement)) return refuse(`${c.replacement} already judges this result`)
  if ((result.replaced ?? []).includes(c.replacement) || c.replacement === c.nodeId) return refuse(`${c.replacement} was taken off this result before`)
  return Result.succeed([
    { _tag: "ValidatorReplaced", taskId: c.taskId, round: c.round, resultId: c.resultId, replaced: c.nodeId, replacement: c.replacement, replacedAt: c.at }
  ])
}
