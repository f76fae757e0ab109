import { Schema } from "effect"
import { Address, Hash32, Instant, NeuraAmount, NodeId, NonNegativeInt, PositiveInt, TaskId } from "../primitives"

/**
 * On-chain settlement (docs/settlement.md). Neura live in the NeuraEscrow
 * contract in named accounts: a task's budget in `task:<taskId>`, a node's
 * stake in `stake:<nodeId>`. The log learns of a deposit only from the
 * bridge's `RecordDeposit`, which the API checks against the chain's
 * `Deposited` log; it learns of a settlement the same way. Stream:
 * `escrow-<kind>-<id>` (one per account).
 */
export const EscrowAccount = Schema.Union([
  Schema.TaggedStruct("Task", { taskId: TaskId }),
  Schema.TaggedStruct("Stake", { nodeId: NodeId }),
  /** A scoring's fee (RequestScoring), `scoring:<scoringId>`. */
  Schema.TaggedStruct("Scoring", { scoringId: Schema.String })
])
export type EscrowAccount = typeof EscrowAccount.Type

/** The account's name in the contract (`deposit(account, amount)`): `task:<taskId>`, `stake:<nodeId>` or `scoring:<scoringId>`. */
export const accountName = (a: EscrowAccount): string => (a._tag === "Task" ? `task:${a.taskId}` : a._tag === "Stake" ? `stake:${a.nodeId}` : `scoring:${a.scoringId}`)

/** Parse a contract account name; undefined when it names no account of the network. */
export const parseAccountName = (name: string): EscrowAccount | undefined => {
  const match = /^(task|stake|scoring):([A-Za-z0-9_-]{1,100})$/.exec(name)
  if (!match) return undefined
  const id = match[2]!
  if (match[1] === "scoring") return { _tag: "Scoring", scoringId: id }
  if (id.length > 64) return undefined
  return match[1] === "task" ? { _tag: "Task", taskId: id as TaskId } : { _tag: "Stake", nodeId: id as NodeId }
}

export const escrowStream = (a: EscrowAccount) => `escrow-${accountName(a).replace(":", "-")}`

/** Where on chain a deposit or settlement is: enough for anyone to look it up. */
const onChain = {
  chainId: PositiveInt,
  /** The NeuraEscrow contract. */
  contract: Address,
  txHash: Hash32,
  blockNumber: NonNegativeInt
}

export const DepositObserved = Schema.TaggedStruct("DepositObserved", {
  account: EscrowAccount,
  depositor: Address,
  amount: NeuraAmount,
  ...onChain,
  /** The `Deposited` log's index in its block (a deposit's identity with the transaction). */
  logIndex: NonNegativeInt,
  observedAt: Instant
})

/** One payee's claimable amount in a settlement (a Merkle leaf). */
export const Claim = Schema.Struct({ payee: Address, amount: NeuraAmount })
export type Claim = typeof Claim.Type

/** One account a settlement debits on chain. */
export const Debit = Schema.Struct({ account: Schema.String, amount: NeuraAmount })

export const SettlementPosted = Schema.TaggedStruct("SettlementPosted", {
  account: EscrowAccount,
  /** `settle:task:<taskId>` or `settle:withdrawal:<nodeId>:<n>`; on chain, its keccak256. */
  settlement: Schema.String,
  settlementId: Hash32,
  root: Hash32,
  total: NeuraAmount,
  burned: NeuraAmount,
  claims: Schema.Array(Claim),
  debits: Schema.Array(Debit),
  ...onChain,
  postedAt: Instant
})

export const EscrowEvent = Schema.Union([DepositObserved, SettlementPosted])
export type EscrowEvent = typeof EscrowEvent.Type
