import { Schema } from "effect"

export class NodeAlreadyRegistered extends Schema.TaggedError<NodeAlreadyRegistered>()("NodeAlreadyRegistered", {
  nodeId: Schema.String
}) {}

/** The command was not signed by the key being registered (no proof of possession). */
export class SignerIsNotNodeKey extends Schema.TaggedError<SignerIsNotNodeKey>()("SignerIsNotNodeKey", {
  signer: Schema.String,
  keyAddress: Schema.String
}) {}

/** The public key is 33 bytes but not a point on secp256k1: no key can sign for it, and no address derives from it. */
export class InvalidPublicKey extends Schema.TaggedError<InvalidPublicKey>()("InvalidPublicKey", {
  publicKey: Schema.String
}) {}

/** One key, one node: this key already identifies another node id. */
export class NodeKeyAlreadyRegistered extends Schema.TaggedError<NodeKeyAlreadyRegistered>()("NodeKeyAlreadyRegistered", {
  address: Schema.String,
  nodeId: Schema.String
}) {}

const S = Schema.String
export class StakeTooLow extends Schema.TaggedError<StakeTooLow>()("StakeTooLow", { nodeId: S, needed: S, free: S }) {}
export class NothingToWithdraw extends Schema.TaggedError<NothingToWithdraw>()("NothingToWithdraw", { nodeId: S, nextAvailableAt: Schema.optional(S) }) {}
export class StakeStillNeeded extends Schema.TaggedError<StakeStillNeeded>()("StakeStillNeeded", { nodeId: S, taskId: S, reason: S }) {}
export class NodeNotRegistered extends Schema.TaggedError<NodeNotRegistered>()("NodeNotRegistered", { nodeId: S }) {}
export class NotNodeSigner extends Schema.TaggedError<NotNodeSigner>()("NotNodeSigner", { nodeId: S, actor: S }) {}
export class InvalidAmount extends Schema.TaggedError<InvalidAmount>()("InvalidAmount", { reason: S }) {}
export type StakeError = import("../escrow/errors").NotDeposited | StakeTooLow | NothingToWithdraw | StakeStillNeeded | NodeNotRegistered | NotNodeSigner | InvalidAmount

export type NodeError = NodeAlreadyRegistered | SignerIsNotNodeKey | NodeKeyAlreadyRegistered
