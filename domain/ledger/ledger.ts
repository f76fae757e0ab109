import { Result, Schema } from "effect"
import type { Address, NodeId } from "../primitives"
import type { PayeeRole } from "./events"

/** An escrow account in integer Neura base units. */
export interface Escrow {
  readonly escrowed: bigint
  readonly allocated: bigint
  readonly refunded: bigint
  /** Rewards set aside for results still inside their challenge window. */
  readonly held: bigint
}

export const emptyEscrow: Escrow = { escrowed: 0n, allocated: 0n, refunded: 0n, held: 0n }
export const remaining = (escrow: Escrow): bigint => escrow.escrowed - escrow.allocated - escrow.refunded - escrow.held

export interface Payout {
  readonly recipient: Address
  readonly nodeId?: NodeId
  /** The verified result a trainer's payout is for (held through its challenge window). */
  readonly resultId?: string
  readonly role: PayeeRole
  readonly amount: bigint
  readonly reason: string
}

export class EscrowExceeded extends Schema.TaggedError<EscrowExceeded>()("EscrowExceeded", {
  requested: Schema.String,
  available: Schema.String
}) {}

/** Pay out of escrow; refuses (whole, not partly) anything beyond what is left or any negative amount. */
export const pay = (escrow: Escrow, payouts: ReadonlyArray<Payout>): Result.Result<Escrow, EscrowExceeded> => {
  let total = 0n
  for (const p of payouts) {
    if (p.amount < 0n) return Result.fail(new EscrowExceeded({ requested: String(p.amount), available: String(remaining(escrow)) }))
    total += p.amount
  }
  if (total > remaining(escrow)) {
    return Result.fail(new EscrowExceeded({ requested: String(total), available: String(remaining(escrow)) }))
  }
  return Result.succeed({ ...escrow, allocated: escrow.allocated + total })
}

/**
 * Split `pot` in proportion to integer weights, rounding every share down.
 * The sum never exceeds the pot; the rounding dust stays in escrow (refunded
 * at the end). Zero or negative weights get nothing.
 */
export const splitProportionally = <K>(pot: bigint, weights: ReadonlyArray<{ readonly key: K; readonly weight: bigint }>) => {
  const positive = weights.filter((w) => w.weight > 0n)
  const total = positive.reduce((sum, w) => sum + w.weight, 0n)
  if (pot <= 0n || total === 0n) return []
  return positive.map((w) => ({ key: w.key, amount: (pot * w.weight) / total })).filter((s) => s.amount > 0n)
}

/** `amount * bps / 10000`, rounded down. */
export const basisPointsOf = (amount: bigint, bps: number): bigint => (amount * BigInt(bps)) / 10_000n
