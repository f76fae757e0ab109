import { Schema } from "effect"
import { Address, Instant, NodeId, PublicKey } from "../primitives"
import { NodeRole } from "./events"

/** What a node sends (and signs) to join the network. */
export const RegisterNodePayload = Schema.Struct({
  nodeId: NodeId,
  publicKey: PublicKey,
  roles: Schema.Array(NodeRole).pipe(Schema.check(Schema.isMinLength(1))),
  capabilities: Schema.Array(Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))))
})

export class RegisterNode extends Schema.TaggedClass<RegisterNode>()("RegisterNode", {
  ...RegisterNodePayload.fields,
  /** Address derived from `publicKey` by the API (the domain does no crypto). */
  keyAddress: Address,
  /** The verified signer. */
  actor: Address,
  at: Instant
}) {}

export type NodeCommand = RegisterNode
