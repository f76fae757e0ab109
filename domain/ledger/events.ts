import { Schema } from "effect"
import { Address, Instant, NeuraAmount, TaskId } from "../primitives"

/** A task owner's budget moved into escrow; payouts can never exceed it. */
export const BudgetEscrowed = Schema.TaggedStruct("BudgetEscrowed", {
  taskId: TaskId,
  owner: Address,
  amount: NeuraAmount,
  escrowedAt: Instant
})

export const LedgerEvent = Schema.Union([BudgetEscrowed])
export type LedgerEvent = typeof LedgerEvent.Type
