import type { Decider } from "../decider"
import type { TaskCommand } from "./commands"
import { decide } from "./decide"
import type { TaskError } from "./errors"
import type { TaskEvent } from "./events"
import { evolve, initialState, type TaskState } from "./state"

export const task: Decider<TaskCommand, TaskEvent, TaskState, TaskError> = { decide, evolve, initialState }
export const taskStream = (taskId: string) => `task-${taskId}`
