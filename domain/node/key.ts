import { Result } from "effect"
import type { Decider } from "../decider"
import type { Address, NodeId } from "../primitives"
import type { BindNodeKey } from "./commands"
import { NodeKeyAlreadyRegistered } from "./errors"
import type { NodeEvent } from "./events"

/**
 * The key-binding aggregate, stream `nodeKey-<address>`: which node id a key
 * belongs to. A binding is void when its node was registered under another
 * key (a registration that lost a race for its node id after binding); then
 * the key may bind again.
 */
export type NodeKeyState = { readonly nodeId: NodeId | undefined }

export const bindNodeKey = (c: BindNodeKey, state: NodeKeyState): Result.Result<ReadonlyArray<NodeEvent>, NodeKeyAlreadyRegistered> => {
  if (state.nodeId !== undefined && state.nodeId !== c.nodeId && c.currentBindingLive) {
    return Result.fail(new NodeKeyAlreadyRegistered({ address: c.address, nodeId: state.nodeId }))
  }
  return Result.succeed([{ _tag: "NodeKeyBound", address: c.address, nodeId: c.nodeId, boundAt: c.at }])
}

export const nodeKey: Decider<BindNodeKey, NodeEvent, NodeKeyState, NodeKeyAlreadyRegistered> = {
  decide: bindNodeKey,
  evolve: (state, event) => (event._tag === "NodeKeyBound" ? { nodeId: event.nodeId } : state),
  initialState: { nodeId: undefined }
}
export const nodeKeyStream = (address: Address | string) => `nodeKey-${address.toLowerCase()}`
