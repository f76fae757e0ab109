import { describe, expect, it } from "vitest"
import { keccak256, toBytes, zeroHash, type Hex } from "viem"
import { buildTree, leafOf, proofFor, rootOf } from "../../../chain-bridge/anchor"
import { metricsDigest, OpKind, registryOps } from "../../../chain-bridge/settlement/registry"
import { checkProvenEvents, type ProvenEvent } from "../../../chain-bridge/verifyResult"
import type { RecordedEvent } from "../../../domain/recordedEvent"
import { canonicalJson } from "../../../infra/canonicalJson"
import { sealCommit } from "../../../infra/eventStore/hashChain"
import { devKey } from "../../../infra/identity/devKeys"
import { SIGNING_SCHEME, signCommand } from "../../../infra/identity/signature"

/** The pure halves of on-chain settlement: which model facts the registry gets, and how a result's proofs are checked. */
const at = (globalPosition: number, data: Record<string, unknown>) => ({ globalPosition, data }) as unknown as RecordedEvent

describe("Model Objects: log events → ModelRegistry operations", () => {
  it("registrations (with a fork's parent), versions (task and metrics digests), publication and delisting; nothing else", () => {
    const ops = registryOps([
      at(3, { _tag: "ModelRegistered", modelId: "M-1", owner: "0x" + "11".repeat(20), origin: { _tag: "New" } }),
      at(4, { _tag: "ModelVersionCreated", modelId: "M-1", version: 1, weightsHash: "0x" + "aa".repeat(32), lineage: {} }),
      at(5, { _tag: "ModelVersionCreated", modelId: "M-1", version: 2, weightsHash: "0x" + "bb".repeat(32), parent: { modelId: "M-1", version: 1 }, lineage: { taskId: "T1" }, metrics: { accuracy: 0.9 } }),
      at(6, { _tag: "ModelForked", modelId: "M-1", version: 2, childModelId: "M-2" }),
      at(6, { _tag: "ModelRegistered", modelId: "M-2", owner: "0x" + "22".repeat(20), origin: { _tag: "Fork", parent: { modelId: "M-1", version: 2 } } }),
      at(7, { _tag: "ProposalOpened", modelId: "M-1" }),
      at(8, { _tag: "ModelPublished", modelId: "M-1", version: 2 }),
      at(9, { _tag: "ModelDelisted", modelId: "M-2" }),
      at(9, { _tag: "TaskCreated", taskId: "T2" })
    ])
    expect(ops.map((o) => [o.kind, o.modelId, o.version, o.position])).toEqual([
      [OpKind.Register, "M-1", 0, 3n],
      [OpKind.Version, "M-1", 1, 4n],
      [OpKind.Version, "M-1", 2, 5n],
      [OpKind.Register, "M-2", 0, 6n],
      [OpKind.Publish, "M-1", 2, 8n],
      [OpKind.Delist, "M-2", 0, 9n]
    ])
    expect(ops[1]).toMatchObject({ parentVersion: 0, taskId: zeroHash, metricsDigest: zeroHash })
    expect(ops[2]).toMatchObject({ parentVersion: 1, taskId: keccak256(toBytes("T1")), metricsDigest: keccak256(toBytes(canonicalJson({ accuracy: 0.9 }))) })
    expect(ops[3]).toMatchObject({ parentModel: "M-1", parentVersion: 2 })
    expect(metricsDigest({ b: 1, a: 2 })).toBe(metricsDigest({ a: 2, b: 1 }))
  })
})

describe("Parameter Tracker: a result's proven events, checked against the chain's roots", () => {
  const key = devKey("trainer")
  const signed = signCommand(key, "SubmitResult", { resultId: "R1" })
  const metadata = {
    commandId: `${key.address}:${signed.commandId}`,
    actor: key.address,
    signature: signed.signature,
    command: { type: "SubmitResult", id: signed.commandId, issuedAt: signed.issuedAt, payload: signed.payload, scheme: SIGNING_SCHEME, chainId: 31337 }
  }
  const { events } = sealCommit({
    tip: { globalPosition: 0, hash: zeroHash as never },
    stream: "task-T1",
    firstStreamPosition: 0,
    events: [{ _tag: "ResultSubmitted", resultId: "R1", metrics: { accuracy: 0.9 } } as never, { _tag: "VerificationRequested", resultId: "R1" } as never],
    metadata: metadata as never,
    recordedAt: "2026-11-26T10:00:00.000Z"
  })
  const layers = buildTree(events.map((e) => leafOf(e.globalPosition, e.hash as Hex)))
  const root = rootOf(layers)
  const proven = (i: number, event = events[i]!): ProvenEvent => ({ event, eventHash: events[i]!.hash as Hex, leaf: layers[0]![i]!, proof: proofFor(layers, i), root, anchor: { chainId: 31337, contract: "0x" + "55".repeat(20), index: 0 } })

  it("every event proven and its signer recovered when the chain holds the root", () => {
    const checks = checkProvenEvents([proven(0), proven(1)], (index) => (index === 0 ? root : undefined))
    expect(checks).toEqual([
      { position: "1.0", type: "ResultSubmitted", signer: key.address, problems: [] },
      { position: "1.1", type: "VerificationRequested", signer: key.address, problems: [] }
    ])
  })
  it("a changed metric, a root the chain does not hold, or a forged signature are each named", () => {
    const edited = { ...events[0]!, data: { ...(events[0]!.data as object), metrics: { accuracy: 0.99 } } } as never
    expect(checkProvenEvents([proven(0, edited)], () => root)[0]!.problems).toEqual([expect.stringMatching(/^content hashes to/), expect.stringMatching(/^proof folds to/)])
    expect(checkProvenEvents([proven(0)], () => keccak256("0x01"))[0]!.problems).toEqual([expect.stringMatching(/^proof folds to .* the chain holds/)])
    expect(checkProvenEvents([proven(0)], () => undefined)[0]!.problems).toEqual(["no anchor #0 on chain"])
    const other = signCommand(devKey("mallory"), "SubmitResult", { resultId: "R1" }, { commandId: signed.commandId, issuedAt: signed.issuedAt })
    const reSealed = sealCommit({
      tip: { globalPosition: 0, hash: zeroHash as never },
      stream: "task-T1",
      firstStreamPosition: 0,
      events: [{ _tag: "ResultSubmitted", resultId: "R1", metrics: { accuracy: 0.9 } } as never],
      metadata: { ...metadata, signature: other.signature } as never,
      recordedAt: "2026-11-26T10:00:00.000Z"
    }).events
    const forgedLayers = buildTree(reSealed.map((e) => leafOf(e.globalPosition, e.hash as Hex)))
    const forged: ProvenEvent = { event: reSealed[0]!, eventHash: reSealed[0]!.hash as Hex, leaf: forgedLayers[0]![0]!, proof: [], root: rootOf(forgedLayers), anchor: { chainId: 31337, contract: "0x", index: 0 } }
    expect(checkProvenEvents([forged], () => rootOf(forgedLayers))[0]!.problems).toEqual([`the signature does not recover to ${key.address}`])
  })
})
