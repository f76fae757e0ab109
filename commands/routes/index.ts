import type { CommandSpec } from "../commandSpec"
import { datasetCommands } from "./datasetCommands"
import { modelCommands } from "./modelCommands"
import { nodeCommands } from "./nodeCommands"
import { taskCommands } from "./taskCommands"

/** Every public command, grouped by aggregate (one file each). */
export const commandsByAggregate: Readonly<Record<string, ReadonlyArray<CommandSpec<any>>>> = {
  node: nodeCommands,
  dataset: datasetCommands,
  task: taskCommands,
  model: modelCommands
}
export const allCommands = Object.values(commandsByAggregate).flat()
