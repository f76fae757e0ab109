import { Schema } from "effect"

const S = Schema.String
/** The claimed deposit is not a `Deposited` log of the configured escrow contract (wrong transaction, index or fields). */
export class DepositNotOnChain extends Schema.TaggedError<DepositNotOnChain>()("DepositNotOnChain", { txHash: S, logIndex: Schema.Number, reason: S }) {}
/** That deposit is in the log already. */
export class DepositAlreadyRecorded extends Schema.TaggedError<DepositAlreadyRecorded>()("DepositAlreadyRecorded", { txHash: S, logIndex: Schema.Number }) {}
/** A deposit into an account name that is not `task:<taskId>` or `stake:<nodeId>`. */
export class UnknownEscrowAccount extends Schema.TaggedError<UnknownEscrowAccount>()("UnknownEscrowAccount", { account: S }) {}
/** The claimed settlement differs from what the log owes or from what the chain holds. */
export class SettlementMismatch extends Schema.TaggedError<SettlementMismatch>()("SettlementMismatch", { settlement: S, reason: S }) {}
/** The log owes nothing to settle for that account yet (the task has not ended, rewards still held). */
export class NothingToSettle extends Schema.TaggedError<NothingToSettle>()("NothingToSettle", { settlement: S, reason: S }) {}
/** That settlement is in the log already. */
export class SettlementAlreadyRecorded extends Schema.TaggedError<SettlementAlreadyRecorded>()("SettlementAlreadyRecorded", { settlement: S }) {}

/** The budget (or stake) is not backed by deposits the bridge has recorded from the escrow contract. */
export class NotDeposited extends Schema.TaggedError<NotDeposited>()("NotDeposited", { account: S, needed: S, deposited: S }) {}

export type EscrowError = DepositNotOnChain | DepositAlreadyRecorded | UnknownEscrowAccount | SettlementMismatch | NothingToSettle | SettlementAlreadyRecorded
