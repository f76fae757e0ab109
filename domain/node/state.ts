import type { Address, NodeId, PublicKey } from "../primitives"
import type { NodeEvent, NodeRole } from "./events"
import { evolveStake, noStake, type Stake } from "./stake"

export type NodeState =
  | { readonly status: "unregistered" }
  | {
      readonly status: "registered"
      readonly nodeId: NodeId
      readonly address: Address
      readonly publicKey: PublicKey
      readonly roles: ReadonlyArray<NodeRole>
      readonly capabilities: ReadonlyArray<string>
      readonly stake: Stake
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
        capabilities: event.capabilities,
        stake: noStake
      }
    case "NodeKeyBound":
      return state // lives in nodeKey-<address> (see key.ts)
    default:
      return state.status === "registered" ? { ...state, stake: evolveStake(state.stake, event) } : state
  }
}
