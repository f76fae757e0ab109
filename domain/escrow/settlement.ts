import type { Address } from "../primitives"
import type { Claim } from "./events"

/**
 * What the log owes when an escrow account settles: pure arithmetic over the
 * log's own ledger events, so the API (checking the bridge) and the bridge
 * (posting the root) compute the same thing and anyone can recompute it.
 *
 * A task settles once, when it has ended and no reward is still held in a
 * challenge window: every RewardAllocated and BudgetRefunded is paid from
 * the task's account; every slash is taken from the slashed node's stake
 * account, its referee share paid, the rest burned. Claims are summed per
 * payee and sorted by address (the Merkle tree's leaf order).
 */
export interface Owed {
  readonly settlement: string
  readonly claims: ReadonlyArray<Claim>
  readonly debits: ReadonlyArray<{ readonly account: string; readonly amount: bigint }>
  readonly total: bigint
  readonly burned: bigint
}

type LedgerEvent =
  | { readonly _tag: "RewardAllocated"; readonly recipient: string; readonly amount: bigint }
  | { readonly _tag: "BudgetRefunded"; readonly owner: string; readonly amount: bigint }
  | { readonly _tag: "StakeSlashed"; readonly nodeId: string; readonly referee: string; readonly refereeReward: bigint; readonly burned: bigint }
  | { readonly _tag: "RewardHeld"; readonly resultId: string }
  | { readonly _tag: "ResultFinalized"; readonly resultId: string }
  | { readonly _tag: "RewardForfeited"; readonly resultId: string }
  | { readonly _tag: "TaskCompleted" | "TaskExhausted" }

export const taskSettlementName = (taskId: string) => `settle:task:${taskId}`
export const scoringSettlementName = (scoringId: string) => `settle:scoring:${scoringId}`
export const withdrawalSettlementName = (nodeId: string, n: number) => `settle:withdrawal:${nodeId}:${n}`

const sorted = (owed: Map<string, bigint>): ReadonlyArray<Claim> =>
  [...owed]
    .filter(([, amount]) => amount > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([payee, amount]) => ({ payee: payee as Address, amount }))

/** The task's settlement, or why it cannot settle yet. */
export const taskSettlement = (taskId: string, events: ReadonlyArray<{ readonly _tag: string }>): Owed | { readonly notReady: string } => {
  const ledger = events as ReadonlyArray<LedgerEvent>
  if (!ledger.some((e) => e._tag === "TaskCompleted" || e._tag === "TaskExhausted")) return { notReady: `task ${taskId} has not ended` }
  const settled = new Set(ledger.flatMap((e) => (e._tag === "ResultFinalized" || e._tag === "RewardForfeited" ? [e.resultId] : [])))
  const held = ledger.find((e) => e._tag === "RewardHeld" && !settled.has(e.resultId))
  if (held && held._tag === "RewardHeld") return { notReady: `the reward of ${held.resultId} is still held in its challenge window` }
  const owed = new Map<string, bigint>()
  const add = (payee: string, amount: bigint) => owed.set(payee.toLowerCase(), (owed.get(payee.toLowerCase()) ?? 0n) + amount)
  let fromTask = 0n
  const fromStake = new Map<string, bigint>()
  let burned = 0n
  for (const e of ledger) {
    if (e._tag === "RewardAllocated") {
      add(e.recipient, e.amount)
      fromTask += e.amount
    } else if (e._tag === "BudgetRefunded") {
      add(e.owner, e.amount)
      fromTask += e.amount
    } else if (e._tag === "StakeSlashed") {
      if (e.refereeReward > 0n) add(e.referee, e.refereeReward)
      const account = `stake:${e.nodeId}`
      fromStake.set(account, (fromStake.get(account) ?? 0n) + e.refereeReward + e.burned)
      burned += e.burned
    }
  }
  const claims = sorted(owed)
  const debits = [{ account: `task:${taskId}`, amount: fromTask }, ...[...fromStake].sort(([a], [b]) => (a < b ? -1 : 1)).map(([account, amount]) => ({ account, amount }))].filter(
    (d) => d.amount > 0n
  )
  return { settlement: taskSettlementName(taskId), claims, debits, total: claims.reduce((s, c) => s + c.amount, 0n), burned }
}

/** A node's n-th stake withdrawal (1-based, in its stream's order), paid from its stake account to its address. */
export const withdrawalSettlement = (nodeId: string, n: number, withdrawn: { readonly address: string; readonly amount: bigint }): Owed => ({
  settlement: withdrawalSettlementName(nodeId, n),
  claims: [{ payee: withdrawn.address.toLowerCase() as Address, amount: withdrawn.amount }],
  debits: [{ account: `stake:${nodeId}`, amount: withdrawn.amount }],
  total: withdrawn.amount,
  burned: 0n
})

/**
 * A scoring settles once it is scored or failed: each ScoringFeePaid to its
 * judge, the ScoringFeeRefunded to the requester, from `scoring:<scoringId>`.
 */
export const scoringSettlement = (scoringId: string, events: ReadonlyArray<{ readonly _tag: string }>): Owed | { readonly notReady: string } => {
  const ledger = events as ReadonlyArray<{ _tag: string; recipient?: string; owner?: string; amount?: bigint }>
  if (!ledger.some((e) => e._tag === "ModelVersionScored" || e._tag === "ScoringFailed")) return { notReady: `scoring ${scoringId} is not settled` }
  const owed = new Map<string, bigint>()
  for (const e of ledger) {
    const payee = e._tag === "ScoringFeePaid" ? e.recipient : e._tag === "ScoringFeeRefunded" ? e.owner : undefined
    if (payee) owed.set(payee.toLowerCase(), (owed.get(payee.toLowerCase()) ?? 0n) + e.amount!)
  }
  const claims = sorted(owed)
  const total = claims.reduce((s, c) => s + c.amount, 0n)
  return { settlement: scoringSettlementName(scoringId), claims, debits: total > 0n ? [{ account: `scoring:${scoringId}`, amount: total }] : [], total, burned: 0n }
}

/**
 * A settlement's name, parsed once for everyone who needs a part of it:
 * `settle:task:<taskId>`, `settle:scoring:<scoringId>`, `settle:withdrawal:<nodeId>:<n>`.
 */
export type SettlementName =
  | { readonly kind: "task"; readonly id: string }
  | { readonly kind: "scoring"; readonly id: string }
  | { readonly kind: "withdrawal"; readonly id: string; readonly n: number }

export const parseSettlementName = (settlement: string): SettlementName | undefined => {
  const task = /^settle:task:([A-Za-z0-9_-]{1,64})$/.exec(settlement)
  if (task) return { kind: "task", id: task[1]! }
  const scoring = /^settle:scoring:([A-Za-z0-9_-]{1,100})$/.exec(settlement)
  if (scoring) return { kind: "scoring", id: scoring[1]! }
  const withdrawal = /^settle:withdrawal:([A-Za-z0-9_-]{1,64}):([1-9][0-9]*)$/.exec(settlement)
  return withdrawal ? { kind: "withdrawal", id: withdrawal[1]!, n: Number(withdrawal[2]) } : undefined
}

/** The escrow account a settlement pays from: `task:<id>`, `scoring:<id>` or `stake:<nodeId>`. */
export const settlementAccountName = (name: SettlementName): string => `${name.kind === "withdrawal" ? "stake" : name.kind}:${name.id}`

/** The stream whose ledger events a settlement pays out: `task-<id>`, `scoring-<id>` or `node-<nodeId>`. */
export const sourceStreamOf = (settlement: string): string | undefined => {
  const name = parseSettlementName(settlement)
  return name && `${name.kind === "withdrawal" ? "node" : name.kind}-${name.id}`
}

/** What a named settlement owes, from the events of its source stream (in order), or why nothing yet. */
export const owedBy = (settlement: string, events: ReadonlyArray<{ readonly _tag: string }>): Owed | { readonly notReady: string } => {
  const name = parseSettlementName(settlement)
  if (!name) return { notReady: `${settlement} names no settlement` }
  if (name.kind === "task") return taskSettlement(name.id, events)
  if (name.kind === "scoring") return scoringSettlement(name.id, events)
  const nth = events.filter((e) => e._tag === "StakeWithdrawn")[name.n - 1] as { address: string; amount: bigint } | undefined
  return nth ? withdrawalSettlement(name.id, name.n, nth) : { notReady: `${name.id} has made no withdrawal ${name.n}` }
}
