import { describe, it } from "vitest"
import { node } from "../../../domain/node"
import { RegisterNode } from "../../../domain/node/commands"
import type { NodeId } from "../../../domain/primitives"
import { deciderSpec } from "../../support/deciderSpec"
import { T0, nodes, publicKeyOf } from "../../support/fixtures"

const spec = deciderSpec(node)
const register = (overrides: Partial<ConstructorParameters<typeof RegisterNode>[0]> = {}) =>
  new RegisterNode({
    nodeId: "trainerA" as NodeId,
    publicKey: publicKeyOf(1),
    roles: ["trainer"],
    capabilities: ["tfjs-wasm"],
    keyAddress: nodes.trainerA.address,
    actor: nodes.trainerA.address,
    at: T0,
    ...overrides
  })

describe("Node: RegisterNode", () => {
  it("registers a node under the address of its key", () =>
    spec.given([]).when(register()).then([
      {
        _tag: "NodeRegistered",
        nodeId: "trainerA" as NodeId,
        publicKey: publicKeyOf(1),
        address: nodes.trainerA.address,
        roles: ["trainer"],
        capabilities: ["tfjs-wasm"],
        registeredAt: T0
      }
    ]))

  it("refuses a registration not signed by the registered key", () =>
    spec.given([]).when(register({ actor: nodes.trainerB.address })).thenFails("SignerIsNotNodeKey"))

  it("refuses registering the same node twice", () => {
    const first = spec.given([]).when(register()).thenEvents(() => undefined)
    spec.given(first).when(register()).thenFails("NodeAlreadyRegistered")
  })
})
