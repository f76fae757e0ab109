import { Schema } from "effect"
import { Address, Instant, NodeId, PublicKey } from "../primitives"
import { StakeEvent } from "./stakeEvents"

export const NodeRole = Schema.Literals(["trainer", "validator", "dataProvider", "owner"])
export type NodeRole = typeof NodeRole.Type

/** A compute/validator/data node joined the network under its secp256k1 identity. */
export const NodeRegistered = Schema.TaggedStruct("NodeRegistered", {
  nodeId: NodeId,
  publicKey: PublicKey,
  address: Address,
  roles: Schema.Array(NodeRole).pipe(Schema.check(Schema.isMinLength(1))),
  capabilities: Schema.Array(Schema.String),
  registeredAt: Instant
})

/**
 * One key, one node: a key is bound to the node id it registered, in stream
 * `nodeKey-<address>`. Written just before `NodeRegistered`, by the same
 * command, and checked by every later registration with that key.
 */
export const NodeKeyBound = Schema.TaggedStruct("NodeKeyBound", {
  address: Address,
  nodeId: NodeId,
  boundAt: Instant
})

export const NodeEvent = Schema.Union([NodeRegistered, NodeKeyBound, ...StakeEvent.members])
export type NodeEvent = typeof NodeEvent.Type
