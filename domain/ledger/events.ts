import { Schema } from "effect"
import { Address, Instant, NeuraAmount, NodeId, TaskId } from "../primitives"

/**
 * The Neura ledger's facts. They live in the task's stream (the task owns its
 * escrow), so a payout and the decision that caused it commit atomically.
 * Balances per address are a projection of these events.
 */

/** A task owner's budget moved into escrow; payouts can never exceed it. */
export const BudgetEscrowed = Schema.TaggedStruct("BudgetEscrowed", {
  taskId: TaskId,
  owner: Address,
  amount: NeuraAmount,
  escrowedAt: Instant
})

export const PayeeRole = Schema.Literals(["trainer", "validator", "dataProvider"])
export type PayeeRole = typeof PayeeRole.Type

/** A payout from the task's escrow. */
export const RewardAllocated = Schema.TaggedStruct("RewardAllocated", {
  taskId: TaskId,
  round: Schema.Number,
  recipient: Address,
  nodeId: Schema.optional(NodeId),
  role: PayeeRole,
  amount: NeuraAmount,
  reason: Schema.String,
  allocatedAt: Instant
})

/** What was left in escrow went back to the owner when the task ended. */
export const BudgetRefunded = Schema.TaggedStruct("BudgetRefunded", {
  taskId: TaskId,
  owner: Address,
  amount: NeuraAmount,
  refundedAt: Instant
})
