import type { NodeId } from "../primitives"
import type { TaskState } from "./state"

/**
 * What a task says about the stake a node committed to it: whether the task
 * still needs it (the node takes part in a live task, whose rulings could
 * still slash it) and what its rulings took. Feeds ReleaseStake.
 */
export const stakeClaim = (state: TaskState, nodeId: NodeId): { heldBecause?: string; slashed: bigint } => {
  if (state.status === "none") return { slashed: 0n }
  if (!state.participants.has(nodeId)) return { slashed: 0n }
  const slashed = state.slashed.get(nodeId) ?? 0n
  if (state.status === "open" || state.status === "running") return { heldBecause: `task ${state.taskId} is still ${state.status}`, slashed }
  // A result not final yet can still be challenged: its trainer's stake (and a challenger's) backs it.
  const pending = [...state.challengeable.values()].find((c) => c.nodeId === nodeId || c.challenge?.challenger === nodeId)
  if (pending) return { heldBecause: `result ${pending.resultId} is not final until ${pending.finalAt}`, slashed }
  return { slashed }
}
