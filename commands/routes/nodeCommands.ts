import { Effect } from "effect"
import { node, nodeStream } from "../../domain/node"
import { RegisterNode, RegisterNodePayload } from "../../domain/node/commands"
import { addressOfPublicKey } from "../../infra/identity/signature"
import { commandSpec } from "../commandSpec"
import { handleCommand } from "../handleCommand"

export const nodeCommands = [
  commandSpec({
    type: "RegisterNode",
    aggregate: "node",
    summary: "Register a node's secp256k1 identity, roles and capabilities (signed with the key being registered).",
    payload: RegisterNodePayload,
    handle: (p, ctx) =>
      Effect.suspend(() =>
        handleCommand(node, nodeStream(p.nodeId), new RegisterNode({ ...p, keyAddress: addressOfPublicKey(p.publicKey), actor: ctx.actor, at: ctx.at }), ctx.metadata)
      )
  })
]
