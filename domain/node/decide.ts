import { Result } from "effect"
import type { NodeCommand, RegisterNode } from "./commands"
import { NodeAlreadyRegistered, NodeKeyAlreadyRegistered, SignerIsNotNodeKey, type NodeError } from "./errors"
import type { NodeEvent } from "./events"
import type { NodeState } from "./state"

type Decision = Result.Result<ReadonlyArray<NodeEvent>, NodeError>

export const registerNode = (command: RegisterNode, state: NodeState): Decision => {
  if (state.status === "registered") return Result.fail(new NodeAlreadyRegistered({ nodeId: command.nodeId }))
  // A node proves it holds the key it registers by signing with it.
  if (command.actor !== command.keyAddress) {
    return Result.fail(new SignerIsNotNodeKey({ signer: command.actor, keyAddress: command.keyAddress }))
  }
  // One key, one node: identities are not free to multiply.
  if (command.keyBoundTo !== undefined && command.keyBoundTo !== command.nodeId) {
    return Result.fail(new NodeKeyAlreadyRegistered({ address: command.keyAddress, nodeId: command.keyBoundTo }))
  }
  return Result.succeed([
    {
      _tag: "NodeRegistered",
      nodeId: command.nodeId,
      publicKey: command.publicKey,
      address: command.keyAddress,
      roles: command.roles,
      capabilities: command.capabilities,
      registeredAt: command.at
    }
  ])
}

export const decide = (command: NodeCommand, state: NodeState): Decision => {
  switch (command._tag) {
    case "RegisterNode":
      return registerNode(command, state)
    default: {
      const unhandled: never = command._tag
      throw new Error(`unhandled command ${String(unhandled)}`)
    }
  }
}
