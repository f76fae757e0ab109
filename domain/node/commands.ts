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
  /**
   * The node id this key is already bound to, when that binding is live (the
   * node is registered under this key). Loaded by the API from `nodeKey-<address>`.
   */
  keyBoundTo: Schema.optional(NodeId),
  /** The verified signer. */
  actor: Address,
  at: Instant
}) {}

/** Bind a key to a node id (the first step of RegisterNode, on `nodeKey-<address>`). */
export class BindNodeKey extends Schema.TaggedClass<BindNodeKey>()("BindNodeKey", {
  address: Address,
  nodeId: NodeId,
  /** Whether the node the key is bound to now is registered under this key (else the binding is void). */
  currentBindingLive: Schema.Boolean,
  actor: Address,
  at: Instant
}) {}

export type NodeCommand = RegisterNode
