import type { CommandSpec } from "../commandSpec"
import { anchorCommands } from "./anchorCommands"
import { datasetCommands } from "./datasetCommands"
import { escrowCommands } from "./escrowCommands"
import { modelCommands } from "./modelCommands"
import { nodeCommands } from "./nodeCommands"
import { scoringCommands } from "./scoringCommands"
import { stakeCommands } from "./stakeCommands"
import { taskCommands } from "./taskCommands"

/** Every public command, grouped by aggregate (one file each). */
export const commandsByAggregate: Readonly<Record<string, ReadonlyArray<CommandSpec<any>>>> = {
  node: [...nodeCommands, ...stakeCommands],
  dataset: datasetCommands,
  task: taskCommands,
  model: modelCommands,
  anchor: anchorCommands,
  scoring: scoringCommands,
  escrow: escrowCommands
}
export const allCommands = Object.values(commandsByAggregate).flat()
