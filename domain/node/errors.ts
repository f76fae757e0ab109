import { Schema } from "effect"

export class NodeAlreadyRegistered extends Schema.TaggedError<NodeAlreadyRegistered>()("NodeAlreadyRegistered", {
  nodeId: Schema.String
}) {}

/** The command was not signed by the key being registered (no proof of possession). */
export class SignerIsNotNodeKey extends Schema.TaggedError<SignerIsNotNodeKey>()("SignerIsNotNodeKey", {
  signer: Schema.String,
  keyAddress: Schema.String
}) {}

/** One key, one node: this key already identifies another node id. */
export class NodeKeyAlreadyRegistered extends Schema.TaggedError<NodeKeyAlreadyRegistered>()("NodeKeyAlreadyRegistered", {
  address: Schema.String,
  nodeId: Schema.String
}) {}

export type NodeError = NodeAlreadyRegistered | SignerIsNotNodeKey | NodeKeyAlreadyRegistered
