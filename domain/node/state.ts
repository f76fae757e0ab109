import type { Address, NodeId, PublicKey } from "../primitives"
import type { NodeEvent, NodeRole } from "./events"

export type NodeState =
  | { readonly status: "unregistered" }
  | {
      readonly status: "registered"
      readonly nodeId: NodeId
      readonly address: Address
      readonly publicKey: PublicKey
      readonly roles: ReadonlyArray<NodeRole>
      readonly capabilities: ReadonlyArray<string>
    }

export const initialState: NodeState = { status: "unregistered" }

export const evolve = (state: NodeState, event: NodeEvent): NodeState => {
  switch (event._tag) {
    case "NodeRegistered":
      return {
        status: "registered",
        nodeId: event.nodeId,
        address: event.address,
        publicKey: event.publicKey,
        roles: event.roles,
        capabilities: event.capabilities
      }
    case "NodeKeyBound":
      return state // lives in nodeKey-<address> (see key.ts)
  }
}
