import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import { model, modelCatalog } from "../../../domain/model"
import {
  AllocateModelId,
  CastProposalVote,
  CloseProposal,
  CreateModelVersion,
  ForkModel,
  OpenProposal,
  RecordFork,
  RegisterModel
} from "../../../domain/model/commands"
import type { ModelEvent } from "../../../domain/model/events"
import type { ModelId, NodeId, ProposalId } from "../../../domain/primitives"
import { findPaged, itemsPaged, lastPaged, PAGE_SIZE, sizePaged } from "../../../domain/pagedList"
import { deciderSpec } from "../../support/deciderSpec"
import { hash32 } from "../../support/events"
import { T0, at, coordinator, modelId, nodes, owner, stranger } from "../../support/fixtures"

const spec = deciderSpec(model)
const topology = { class_name: "Sequential", config: { name: "mlp", layers: [] } }
const register = new RegisterModel({ modelId, name: "digits-mlp", topology, initialWeightsHash: hash32(0xb0), topologyHash: hash32(0x70), actor: owner, at: T0 })
const registered: ReadonlyArray<ModelEvent> = [
  { _tag: "ModelRegistered", modelId, name: "digits-mlp", description: "", owner, topology, topologyHash: hash32(0x70), origin: { _tag: "New" }, registeredAt: T0 },
  { _tag: "ModelVersionCreated", modelId, version: 1, weightsHash: hash32(0xb0), lineage: { results: [], datasets: [], nodes: [] }, createdBy: owner, createdAt: T0 }
]
const decided = (history: ReadonlyArray<ModelEvent>, command: Parameters<typeof model.decide>[0]) => {
  const r = model.decide(command, fold(model, history))
  if (Result.isFailure(r)) throw new Error(JSON.stringify(r.failure))
  return [...history, ...r.success]
}
const voterFacts = (name: keyof typeof nodes) => ({ nodeId: nodes[name].nodeId, address: nodes[name].address, roles: ["validator" as const], capabilities: [] })
const open = (action: "publish" | "delist" | "modify", extra: Partial<ConstructorParameters<typeof OpenProposal>[0]> = {}) =>
  new OpenProposal({
    modelId,
    proposalId: "P1" as ProposalId,
    nodeId: nodes.validator1.nodeId,
    action,
    actor: nodes.validator1.address,
    at: at(10),
    proposerNode: voterFacts("validator1"),
    // Opened at(10): voting closes at(3610); quorum 20% of 50,000 bonded = 10,000.
    votingSeconds: 3600,
    quorumBps: 2000,
    bondedTotal: 50_000n,
    ...(action === "publish" ? { version: 1 } : {}),
    ...extra
  })
const voteOn = (name: "validator1" | "validator2" | "validator3", support: boolean, voterStake = 10_000n) =>
  new CastProposalVote({ modelId, proposalId: "P1" as ProposalId, nodeId: nodes[name].nodeId, support, actor: nodes[name].address, at: at(20), voterNode: voterFacts(name), voterStake })
const close = (when = at(3611)) => new CloseProposal({ modelId, proposalId: "P1" as ProposalId, actor: stranger, at: when })

describe("Model catalog: AllocateModelId", () => {
  it("numbers models in order", () => {
    const catalog = deciderSpec(modelCatalog)
    catalog.given([]).when(new AllocateModelId({ actor: owner, at: T0 })).then([{ _tag: "ModelIdAllocated", modelId: "M-1" as ModelId, number: 1, allocatedTo: owner, allocatedAt: T0 }])
    catalog
      .given([{ _tag: "ModelIdAllocated", modelId: "M-1" as ModelId, number: 1, allocatedTo: owner, allocatedAt: T0 }])
      .when(new AllocateModelId({ actor: stranger, at: T0 }))
      .thenEvents((events) => expect(events[0]).toMatchObject({ modelId: "M-2", number: 2 }))
  })
})

describe("Model: RegisterModel", () => {
  it("registers the topology and its initial weights as v1", () => spec.given([]).when(register).then(registered))
  it("once", () => spec.given(registered).when(register).thenFails("ModelAlreadyRegistered"))
})

describe("Model: CreateModelVersion", () => {
  const next = (extra: Partial<ConstructorParameters<typeof CreateModelVersion>[0]> = {}) =>
    new CreateModelVersion({
      modelId,
      parentVersion: 1,
      weightsHash: hash32(0xb1),
      lineage: { taskId: "T1" as never, round: 1, results: ["rA" as never], datasets: ["digits-train" as never], nodes: [nodes.trainerA.nodeId] },
      metrics: { accuracy: 0.85, loss: 0.4 },
      actor: coordinator,
      actorIsCoordinator: true,
      at: at(5),
      ...extra
    })
  it("appends v2 with its lineage", () =>
    spec.given(registered).when(next()).thenEvents((events) => expect(events[0]).toMatchObject({ _tag: "ModelVersionCreated", version: 2, parent: { modelId, version: 1 } })))
  it("versions are linear: the parent must be the latest", () => spec.given(registered).when(next({ parentVersion: 2 })).thenFails("VersionConflict"))
  it("by the owner or a coordinator only", () =>
    spec.given(registered).when(next({ actor: stranger, actorIsCoordinator: false })).thenFails("NotModelOwnerOrCoordinator"))
  it("needs the model", () => spec.given([]).when(next()).thenFails("ModelNotFound"))
  it("a model of many versions (kept in pages) still takes the latest as the only parent, and finds every version", () => {
    const many = 2 * PAGE_SIZE + 5
    const history: Array<ModelEvent> = [...registered]
    for (let version = 2; version <= many; version++) {
      history.push({ _tag: "ModelVersionCreated", modelId, version, weightsHash: hash32(version), parent: { modelId, version: version - 1 }, lineage: { results: [], datasets: [], nodes: [] }, createdBy: owner, createdAt: T0 })
    }
    spec.given(history).when(next({ parentVersion: many })).thenEvents((events) => expect(events[0]).toMatchObject({ version: many + 1 }))
    spec.given(history).when(next({ parentVersion: PAGE_SIZE })).thenFails("VersionConflict")
    const state = fold(model, history)
    if (state.status === "none") throw new Error("not registered")
    expect(sizePaged(state.versions)).toBe(many)
    expect(state.versions.every((page) => page.length <= PAGE_SIZE)).toBe(true)
    expect(itemsPaged(state.versions).map((v) => v.version)).toEqual(Array.from({ length: many }, (_, i) => i + 1))
    for (const version of [1, PAGE_SIZE, PAGE_SIZE + 1, many]) expect(findPaged(state.versions, (v) => v.version === version)?.weightsHash).toBe(version === 1 ? hash32(0xb0) : hash32(version))
    expect(lastPaged(state.versions)?.version).toBe(many)
    // A state folded earlier is not changed by folding on from it.
    const before = fold(model, history.slice(0, PAGE_SIZE + 10))
    const copy = JSON.stringify(before.status === "none" ? [] : before.versions)
    let after = before
    for (const event of history.slice(PAGE_SIZE + 10)) after = model.evolve(after, event)
    expect(after.status === "none" ? 0 : sizePaged(after.versions)).toBe(many)
    expect(JSON.stringify(before.status === "none" ? [] : before.versions)).toBe(copy)
  })
})

describe("Model: ForkModel and RecordFork", () => {
  const parentFacts = { owner, status: "registered" as const, publishedVersions: [] as Array<number>, weightsHash: hash32(0xb0), topology, topologyHash: hash32(0x70) }
  const fork = (extra: Partial<ConstructorParameters<typeof ForkModel>[0]> = {}) =>
    new ForkModel({ modelId: "M-2" as ModelId, parent: { modelId, version: 1 }, name: "my branch", parentFacts, actor: owner, at: at(1), ...extra })
  it("the owner forks unpublished work into a new model starting from the parent's weights", () =>
    spec.given([]).when(fork()).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ModelRegistered", modelId: "M-2", origin: { _tag: "Fork", parent: { modelId, version: 1 } } })
      expect(events[1]).toMatchObject({ _tag: "ModelVersionCreated", modelId: "M-2", version: 1, weightsHash: hash32(0xb0) })
    }))
  it("others fork only published versions", () => {
    spec.given([]).when(fork({ actor: stranger })).thenFails("ForkNotAllowed")
    spec.given([]).when(fork({ actor: stranger, parentFacts: { ...parentFacts, status: "published", publishedVersions: [1] } })).thenEvents(() => undefined)
  })
  it("a stranger may not fork an unpublished version of a published model (the DAO published v2 only)", () =>
    spec
      .given([])
      .when(fork({ actor: stranger, parent: { modelId, version: 1 }, parentFacts: { ...parentFacts, status: "published", publishedVersions: [2] } }))
      .thenFails("ForkNotAllowed"))
  it("never a delisted model", () => spec.given([]).when(fork({ parentFacts: { ...parentFacts, status: "delisted" } })).thenFails("ForkNotAllowed"))
  it("the parent records the branch", () =>
    spec
      .given(registered)
      .when(new RecordFork({ modelId, version: 1, childModelId: "M-2" as ModelId, actor: owner, at: at(1) }))
      .then([{ _tag: "ModelForked", modelId, version: 1, childModelId: "M-2" as ModelId, forkedBy: owner, forkedAt: at(1) }]))
  it("of an existing version", () =>
    spec.given(registered).when(new RecordFork({ modelId, version: 7, childModelId: "M-2" as ModelId, actor: owner, at: at(1) })).thenFails("ModelVersionNotFound"))
})

describe("Model: DAO proposals", () => {
  it("a registered node opens a proposal; the protocol sets its voting period and its stake quorum", () =>
    spec
      .given(registered)
      .when(open("publish"))
      .thenEvents((events) => expect(events[0]).toMatchObject({ _tag: "ProposalOpened", action: "publish", version: 1, quorumStake: 10_000n, closesAt: at(3610) })))
  it("publish names an existing version; modify names changes", () => {
    spec.given(registered).when(open("publish", { version: 9 })).thenFails("ModelVersionNotFound")
    spec.given(registered).when(open("modify")).thenFails("ProposalInvalid")
  })
  it("votes weigh by bonded stake: one whale outweighs many small identities; no stake, no vote", () => {
    const opened = decided(registered, open("publish"))
    spec.given(opened).when(voteOn("validator2", true, 0n)).thenFails("ProposalInvalid")
    const h = decided(decided(opened, voteOn("validator2", true, 3_000n)), voteOn("validator3", false, 9_000n))
    spec.given(h).when(close()).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "ProposalRejected", votesFor: 3_000n, votesAgainst: 9_000n }))
    const small = decided(decided(opened, voteOn("validator2", true, 4_000n)), voteOn("validator3", true, 4_000n))
    spec.given(small).when(close()).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "ProposalRejected", reason: expect.stringMatching(/quorum is 10000/) }))
  })
  it("the proposer signs with its node key", () => spec.given(registered).when(open("delist", { actor: stranger })).thenFails("NotVoterKey"))
  it("one vote per node and per key, while open", () => {
    const opened = decided(registered, open("publish"))
    spec.given(opened).when(voteOn("validator2", true)).thenEvents((events) => expect(events[0]).toMatchObject({ _tag: "ProposalVoteCast", support: true }))
    const voted = decided(opened, voteOn("validator2", true))
    spec.given(voted).when(voteOn("validator2", false)).thenFails("AlreadyVotedOnProposal")
    spec.given(opened).when(new CastProposalVote({ ...voteOn("validator2", true), at: at(3611) })).thenFails("ProposalClosed")
  })
  it("a majority reaching quorum publishes the version", () => {
    const h = decided(decided(decided(registered, open("publish")), voteOn("validator2", true)), voteOn("validator3", true))
    spec.given(h).when(close()).then([{ _tag: "ModelPublished", modelId, version: 1, proposalId: "P1" as ProposalId, publishedAt: at(3611) }])
    const state = fold(model, [...h, { _tag: "ModelPublished", modelId, version: 1, proposalId: "P1" as ProposalId, publishedAt: at(3611) }])
    expect(state.status === "published" && state.publishedVersion).toBe(1)
  })
  it("delist and modify take effect the same way", () => {
    const delist = decided(decided(decided(registered, open("delist", { reason: "license problem" })), voteOn("validator2", true)), voteOn("validator3", true))
    spec.given(delist).when(close()).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "ModelDelisted", reason: "license problem" }))
    const modify = decided(decided(decided(registered, open("modify", { changes: { name: "digits-mlp-2" } })), voteOn("validator2", true)), voteOn("validator3", true))
    spec.given(modify).when(close()).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "ModelModified", changes: { name: "digits-mlp-2" } }))
  })
  it("without quorum or majority the proposal is rejected", () => {
    const one = decided(decided(registered, open("publish")), voteOn("validator2", true, 5_000n))
    spec.given(one).when(close()).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "ProposalRejected", votesFor: 5_000n }))
    const split = decided(decided(decided(registered, open("publish")), voteOn("validator2", true)), voteOn("validator3", false))
    spec.given(split).when(close()).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "ProposalRejected", votesFor: 10_000n, votesAgainst: 10_000n }))
  })
  it("closes only after its closing time, once", () => {
    const opened = decided(registered, open("publish"))
    spec.given(opened).when(close(at(100))).thenFails("ProposalStillOpen")
    const closed = decided(opened, close())
    spec.given(closed).when(close(at(4000))).thenFails("ProposalClosed")
    spec.given(opened).when(close(at(3610))).thenFails("ProposalStillOpen")
  })
  it("unknown proposals are not found", () => spec.given(registered).when(close()).thenFails("ProposalNotFound"))
  it("nodes of any id can be voters", () => expect(voteOn("validator3", true).nodeId).toBe("validator3" as NodeId))
})
