import { Effect, HashSet } from "effect"
import type { RecordedEvent } from "../domain/recordedEvent"
import { foldAggregate, type AggregateFold } from "./aggregateFolds"
import { nodeStream } from "../domain/node"
import { foldedStream, type StreamFold } from "./streamStates"

/**
 * Stake facts for governance, from the log: bonded − withdrawn − slashed.
 * (Slashes live in task streams, bonds and withdrawals in node streams.)
 * What one event changes in the stake held (by `nodeId`, or by anyone):
 */
const heldChange = (e: RecordedEvent, nodeId?: string): bigint => {
  const d = e.data
  if (nodeId !== undefined && "nodeId" in d && d.nodeId !== nodeId) return 0n
  if (d._tag === "StakeBonded") return d.amount
  if (d._tag === "StakeWithdrawn" || d._tag === "StakeSlashed") return -d.amount
  return 0n
}

/** Stake held by everyone, over one aggregate's events (bonds and withdrawals in node streams, slashes in task streams). */
const heldIn = (aggregate: "node" | "task"): AggregateFold<{ held: bigint }> => ({
  name: `stakeHeld:${aggregate}`,
  aggregate,
  initial: () => ({ held: 0n }),
  resume: (h) => ({ ...h }),
  apply: (s, e) => void (s.held += heldChange(e))
})
const heldInNodes = heldIn("node")
const heldInTasks = heldIn("task")

/** All stake bonded in the network now (running folds: only what is new is read). */
export const loadBondedTotal = Effect.fnUntraced(function* () {
  return (yield* foldAggregate(heldInNodes)).held + (yield* foldAggregate(heldInTasks)).held
})

/** A node's own stream: what its bonds and withdrawals hold, and the tasks it committed stake to. */
const ownStake: StreamFold<{ readonly held: bigint; readonly tasks: HashSet.HashSet<string> }> = {
  name: "ownStake",
  initial: { held: 0n, tasks: HashSet.empty() },
  evolve: (s, e) => ({
    held: s.held + heldChange(e),
    tasks: e.data._tag === "StakeCommitted" ? HashSet.add(s.tasks, e.data.taskId as string) : s.tasks
  })
}

const slashKey = (nodeId: string, taskId: string) => `${nodeId}\u0000${taskId}`
/**
 * What each task slashed each node, over the task aggregate (a running fold).
 * The map is replaced, never changed, on a slash (rare), so a held state is
 * shared with the next call as it is.
 */
const slashesInTasks: AggregateFold<{ slashed: ReadonlyMap<string, bigint> }> = {
  name: "slashes:task",
  aggregate: "task",
  initial: () => ({ slashed: new Map() }),
  resume: (held) => ({ slashed: held.slashed }),
  apply: (s, e) => {
    if (e.data._tag !== "StakeSlashed") return
    const key = slashKey(e.data.nodeId, e.data.taskId)
    s.slashed = new Map(s.slashed).set(key, (s.slashed.get(key) ?? 0n) + e.data.amount)
  }
}

/**
 * One node's bonded stake now: its bonds and withdrawals, less what the tasks
 * it committed to slashed. Both from folds that read only what is new: it
 * read the history of every task the node had joined on every governance
 * vote, so a vote's cost grew with the node's whole past.
 */
export const loadNodeStake = Effect.fnUntraced(function* (nodeId: string) {
  const own = yield* foldedStream(ownStake, nodeStream(nodeId))
  const { slashed } = yield* foldAggregate(slashesInTasks)
  let held = own.held
  for (const taskId of own.tasks) held -= slashed.get(slashKey(nodeId, taskId)) ?? 0n
  return held
})
