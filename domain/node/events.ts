import { Schema } from "effect"
import { Address, Instant, NodeId, PublicKey } from "../primitives"

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

export const NodeEvent = Schema.Union([NodeRegistered])
export type NodeEvent = typeof NodeEvent.Type
