import { Effect, HashSet } from "effect"
import type { RecordedEvent } from "../domain/recordedEvent"
import { foldAggregate, type AggregateFold } from "./aggregateFolds"
import { nodeStream } from "../domain/node"
import { foldedStream, type StreamFold } from "./streamStates"

/**
 * Stake facts for governance, from the log: bonded − withdrawn − slashed.
 * (Slashes live in task streams, bonds and withdrawals in node streams.)
 * What one event of a node's stream changes in the stake it holds:
 */
const heldChange = (e: RecordedEvent): bigint => {
  const d = e.data
  if (d._tag === "StakeBonded") return d.amount
  if (d._tag === "StakeWithdrawn") return -d.amount
  return 0n
}

/** Stake bonded less withdrawn by everyone, over the node aggregate. */
const heldInNodes: AggregateFold<{ held: bigint }> = {
  name: "stakeHeld:node",
  aggregate: "node",
  initial: () => ({ held: 0n }),
  resume: (h) => ({ ...h }),
  apply: (s, e) => void (s.held += heldChange(e))
}

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
 * What the tasks slashed, in all and by node and task, over the task
 * aggregate (one running fold for both the network's total and a voter's
 * own). The map is replaced, never changed, on a slash (rare), so a held
 * state is shared with the next call as it is.
 */
const slashesInTasks: AggregateFold<{ total: bigint; slashed: ReadonlyMap<string, bigint> }> = {
  name: "slashes:task",
  aggregate: "task",
  initial: () => ({ total: 0n, slashed: new Map() }),
  resume: (held) => ({ ...held }),
  apply: (s, e) => {
    if (e.data._tag !== "StakeSlashed") return
    const key = slashKey(e.data.nodeId, e.data.taskId)
    s.total += e.data.amount
    s.slashed = new Map(s.slashed).set(key, (s.slashed.get(key) ?? 0n) + e.data.amount)
  }
}

/** All stake bonded in the network now (running folds: only what is new is read). */
export const loadBondedTotal = Effect.fnUntraced(function* () {
  return (yield* foldAggregate(heldInNodes)).held - (yield* foldAggregate(slashesInTasks)).total
})

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
