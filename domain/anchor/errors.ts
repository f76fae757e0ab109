import { Schema } from "effect"

const S = Schema.String
/** The claimed anchor is not in the contract (wrong index, chain or contract). */
export class AnchorNotOnChain extends Schema.TaggedError<AnchorNotOnChain>()("AnchorNotOnChain", { index: Schema.Number, contract: S }) {}
/** The claimed anchor differs from what the chain holds at that index. */
export class AnchorMismatch extends Schema.TaggedError<AnchorMismatch>()("AnchorMismatch", { index: Schema.Number, reason: S }) {}
/** That anchor is in the log already (under another command id). */
export class AnchorAlreadyRecorded extends Schema.TaggedError<AnchorAlreadyRecorded>()("AnchorAlreadyRecorded", { index: Schema.Number, root: S }) {}
/** Only the bridge identities the API is configured with may record anchors. */
export class NotBridgeKey extends Schema.TaggedError<NotBridgeKey>()("NotBridgeKey", { signer: S }) {}

export type AnchorError = AnchorNotOnChain | AnchorMismatch | AnchorAlreadyRecorded | NotBridgeKey
