import { Schema } from "effect"
import { Address, Hash32, Instant, NeuraAmount, NonNegativeInt, PositiveInt } from "../primitives"
import { Claim, Debit } from "./events"

const actorAndTime = { actor: Address, at: Instant, actorIsBridge: Schema.Boolean }

/** What the bridge signs: a `Deposited` log it saw (the account as the contract names it). */
export const RecordDepositPayload = Schema.Struct({
  chainId: PositiveInt,
  contract: Address,
  account: Schema.String.pipe(Schema.check(Schema.isMaxLength(80))),
  depositor: Address,
  amount: NeuraAmount,
  txHash: Hash32,
  logIndex: NonNegativeInt,
  blockNumber: NonNegativeInt
})

/** The `Deposited` log at (txHash, logIndex) as the API read it from the configured escrow contract, or undefined. */
export const OnChainDepositFacts = Schema.Struct({
  account: Schema.String,
  depositor: Address,
  amount: NeuraAmount,
  blockNumber: NonNegativeInt
})

export class RecordDeposit extends Schema.TaggedClass<RecordDeposit>()("RecordDeposit", {
  ...RecordDepositPayload.fields,
  onChain: Schema.optional(OnChainDepositFacts),
  ...actorAndTime
}) {}

/** What the bridge signs: a settlement it posted. */
export const RecordSettlementPayload = Schema.Struct({
  chainId: PositiveInt,
  contract: Address,
  settlement: Schema.String.pipe(Schema.check(Schema.isMaxLength(120))),
  root: Hash32,
  total: NeuraAmount,
  burned: NeuraAmount,
  txHash: Hash32,
  blockNumber: NonNegativeInt
})

/** What the log owes for the settlement (computed by the API from the log), with its Merkle root, or why nothing is owed yet. */
export const OwedFacts = Schema.Union([
  Schema.Struct({ settlementId: Hash32, root: Hash32, total: NeuraAmount, burned: NeuraAmount, claims: Schema.Array(Claim), debits: Schema.Array(Debit) }),
  Schema.Struct({ notReady: Schema.String })
])

/** The settlement the escrow contract holds under that id (root, total, burned, and the accounts its Settled log says it debited), or undefined. */
export const OnChainSettlementFacts = Schema.Struct({
  root: Hash32,
  total: NeuraAmount,
  burned: NeuraAmount,
  /** `account` is the account's name when it matches one the log owes from (keccak256 of the name), else the raw id. */
  debits: Schema.Array(Debit),
  txHash: Hash32,
  blockNumber: NonNegativeInt
})

export class RecordSettlement extends Schema.TaggedClass<RecordSettlement>()("RecordSettlement", {
  ...RecordSettlementPayload.fields,
  owed: OwedFacts,
  onChain: Schema.optional(OnChainSettlementFacts),
  ...actorAndTime
}) {}

export type EscrowCommand = RecordDeposit | RecordSettlement
