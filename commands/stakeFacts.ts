import { Effect } from "effect"
import type { RecordedEvent } from "../domain/recordedEvent"
import { foldAggregate, type AggregateFold } from "./aggregateFolds"
import { history } from "./facts"
import { nodeStream } from "../domain/node"
import { taskStream } from "../domain/task"

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

const heldBy = (events: ReadonlyArray<RecordedEvent>, nodeId?: string) => events.reduce((held, e) => held + heldChange(e, nodeId), 0n)

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

/** One node's bonded stake now: its bonds and withdrawals, less what the tasks it committed to slashed. */
export const loadNodeStake = Effect.fnUntraced(function* (nodeId: string) {
  const own = yield* history(nodeStream(nodeId))
  const tasks = [...new Set(own.flatMap((e) => (e.data._tag === "StakeCommitted" ? [e.data.taskId as string] : [])))]
  const slashes: Array<RecordedEvent> = []
  for (const t of tasks) slashes.push(...(yield* history(taskStream(t))).filter((e) => e.data._tag === "StakeSlashed"))
  return heldBy([...own, ...slashes], nodeId)
})
