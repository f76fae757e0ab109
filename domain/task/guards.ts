import { Result } from "effect"
import type { TaskId } from "../primitives"
import { RoundNotRunning, TaskClosed, TaskNotFound, type TaskError } from "./errors"
import type { TaskEvent } from "./events"
import type { TaskData, TaskState } from "./state"

/** What every task decision returns. */
export type Decision = Result.Result<ReadonlyArray<TaskEvent>, TaskError>
export type Live = TaskData & { readonly status: "open" | "running" }

/** The task must exist and not be finished. */
export const live = (taskId: TaskId, state: TaskState): Result.Result<Live, TaskError> => {
  if (state.status === "none") return Result.fail(new TaskNotFound({ taskId }))
  if (state.status === "completed" || state.status === "exhausted") return Result.fail(new TaskClosed({ taskId, taskStatus: state.status }))
  return Result.succeed(state as Live)
}

export const mayCoordinate = (state: TaskData, command: { actor: string; actorIsCoordinator: boolean }) =>
  command.actor === state.config.owner || command.actorIsCoordinator

export const runningRound = (state: Live, taskId: TaskId, round: number) =>
  state.status === "running" && state.round?.round === round ? Result.succeed(state.round) : Result.fail(new RoundNotRunning({ taskId, round }))

export const count = (state: TaskData, role: "trainer" | "validator") => [...state.participants.values()].filter((p) => p.role === role).length

export const shardIndex = (s: TaskData) => new Map(s.config.trainingShards.map((sh) => [sh.shardId as string, sh]))

/**
 * A result's id names its unit of work: `<taskId>-r<round>-s<slot>-<nodeId>`
 * for a dispatched slot, `<taskId>-r<round>-<nodeId>` in an undispatched
 * round. One submission per slot and node, so nobody can retry ids until a
 * draw suits them.
 */
export const resultIdFor = (taskId: string, round: number, slot: number | undefined, nodeId: string) =>
  slot === undefined ? `${taskId}-r${round}-${nodeId}` : `${taskId}-r${round}-s${slot}-${nodeId}`
