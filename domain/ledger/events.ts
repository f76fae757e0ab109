import { Schema } from "effect"
import { Address, Instant, NeuraAmount, NodeId, ResultId, TaskId } from "../primitives"

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

/**
 * A verified result's trainer reward, set aside in escrow until the result
 * is final (its challenge window passed without a successful challenge).
 */
export const RewardHeld = Schema.TaggedStruct("RewardHeld", {
  taskId: TaskId,
  round: Schema.Number,
  resultId: ResultId,
  recipient: Address,
  nodeId: NodeId,
  amount: NeuraAmount,
  finalAt: Instant,
  heldAt: Instant
})

/** A held reward of a result a challenge overturned: back to the escrow (refunded if the task has ended). */
export const RewardForfeited = Schema.TaggedStruct("RewardForfeited", {
  taskId: TaskId,
  resultId: ResultId,
  recipient: Address,
  amount: NeuraAmount,
  forfeitedAt: Instant
})

/** What was left in escrow went back to the owner when the task ended. */
export const BudgetRefunded = Schema.TaggedStruct("BudgetRefunded", {
  taskId: TaskId,
  owner: Address,
  amount: NeuraAmount,
  refundedAt: Instant
})
