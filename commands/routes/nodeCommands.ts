import { Effect } from "effect"
import { fold } from "../../domain/decider"
import { node, nodeStream } from "../../domain/node"
import { BindNodeKey, RegisterNode, RegisterNodePayload } from "../../domain/node/commands"
import { InvalidPublicKey } from "../../domain/node/errors"
import { nodeKey, nodeKeyStream } from "../../domain/node/key"
import type { NodeEvent } from "../../domain/node/events"
import type { Address } from "../../domain/primitives"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { addressOfPublicKey } from "../../infra/identity/signature"
import { commandSpec, step } from "../commandSpec"
import { history } from "../facts"
import { handleCommand } from "../handleCommand"

/**
 * RegisterNode spans two streams: the key's binding (`nodeKey-<address>`,
 * one key, one node) and the node itself. The whole decision is made first,
 * from both streams, so a refused registration appends nothing; then the key
 * is bound (optimistic concurrency on its stream), then the node registered.
 */
export const nodeCommands = [
  commandSpec({
    type: "RegisterNode",
    aggregate: "node",
    summary: "Register a node's secp256k1 identity, roles and capabilities (signed with the key being registered; one key, one node).",
    payload: RegisterNodePayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        // A 33-byte string that is not a curve point has no address: refuse it, appending nothing.
        const keyAddress = yield* Effect.try({ try: () => addressOfPublicKey(p.publicKey) as Address, catch: () => new InvalidPublicKey({ publicKey: p.publicKey }) })
        const stateOf = (events: ReadonlyArray<RecordedEvent>) => fold(node, events.map((e) => e.data as NodeEvent))
        const nodeStateOf = (nodeId: string) => Effect.map(history(nodeStream(nodeId)), stateOf)
        // Both streams at once: two reads in flight, not one after the other.
        const [nodeEvents, keyEvents] = yield* Effect.all([history(nodeStream(p.nodeId)), history(nodeKeyStream(keyAddress))], { concurrency: 2 })
        const nodeState = stateOf(nodeEvents)
        const binding = fold(nodeKey, keyEvents.map((e) => e.data as NodeEvent))
        const boundNode =
          binding.nodeId === undefined ? undefined : binding.nodeId === p.nodeId ? nodeState : yield* nodeStateOf(binding.nodeId)
        // A binding counts while its node is registered under this key.
        const live = boundNode !== undefined && boundNode.status === "registered" && boundNode.address === keyAddress
        const register = new RegisterNode({ ...p, keyAddress, ...(live ? { keyBoundTo: binding.nodeId } : {}), actor: ctx.actor, at: ctx.at })
        // Decide on the node's own stream first (dry run): a refusal stops here, before any append.
        const dryRun = node.decide(register, nodeState)
        // A node already registered under this key falls through: handleCommand answers a retry idempotently.
        const registeredHere = nodeState.status === "registered" && nodeState.address === keyAddress
        if (dryRun._tag === "Failure" && !registeredHere) return yield* Effect.fail(dryRun.failure)
        if (binding.nodeId !== p.nodeId) {
          yield* handleCommand(
            nodeKey,
            nodeKeyStream(keyAddress),
            new BindNodeKey({ address: keyAddress, nodeId: p.nodeId, currentBindingLive: live, actor: ctx.actor, at: ctx.at }),
            step(ctx.metadata, "bindKey"),
            keyEvents
          )
        }
        // Both streams were just read: each handler appends on what was read, its revision the check.
        return yield* handleCommand(node, nodeStream(p.nodeId), register, ctx.metadata, nodeEvents)
      })
  })
]
