import { Schema } from "effect"
import { Address, Instant, NeuraAmount, NodeId, TaskId } from "../primitives"

/**
 * A node's stake, in its own stream (`node-<nodeId>`; one key, one node).
 * Bonded Neura arrive from outside the ledger (like a task budget) and leave
 * it by withdrawal or slashing. While committed to a task the stake backs the
 * node's work there: the task's rulings can slash it, and it returns only
 * when the task no longer needs it.
 */
export const StakeBonded = Schema.TaggedStruct("StakeBonded", {
  nodeId: NodeId,
  address: Address,
  amount: NeuraAmount,
  bondedAt: Instant
})

/** Free stake set aside for withdrawal; it can be withdrawn from `availableAt`. */
export const UnbondingStarted = Schema.TaggedStruct("UnbondingStarted", {
  nodeId: NodeId,
  address: Address,
  amount: NeuraAmount,
  availableAt: Instant,
  startedAt: Instant
})

export const StakeWithdrawn = Schema.TaggedStruct("StakeWithdrawn", {
  nodeId: NodeId,
  address: Address,
  amount: NeuraAmount,
  withdrawnAt: Instant
})

/** Free stake locked behind the node's participation in a task. */
export const StakeCommitted = Schema.TaggedStruct("StakeCommitted", {
  nodeId: NodeId,
  address: Address,
  taskId: TaskId,
  amount: NeuraAmount,
  committedAt: Instant
})

/** The task no longer needs the stake: what its rulings did not slash is free again. */
export const StakeReleased = Schema.TaggedStruct("StakeReleased", {
  nodeId: NodeId,
  address: Address,
  taskId: TaskId,
  amount: NeuraAmount,
  /** Taken by the task's rulings (recorded there as StakeSlashed). */
  slashed: NeuraAmount,
  releasedAt: Instant
})

export const StakeEvent = Schema.Union([StakeBonded, UnbondingStarted, StakeWithdrawn, StakeCommitted, StakeReleased])
export type StakeEvent = typeof StakeEvent.Type
