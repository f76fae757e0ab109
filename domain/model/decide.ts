import { Result } from "effect"
import type { Address, Hash32, ModelId, ModelVersionRef } from "../primitives"
import { addSeconds } from "../primitives"
import type {
  AllocateModelId,
  CastProposalVote,
  CloseProposal,
  CreateModelVersion,
  ForkModel,
  ImportModel,
  ModelCatalogCommand,
  ModelCommand,
  OpenProposal,
  RecordFork,
  RegisterModel
} from "./commands"
import {
  AlreadyVotedOnProposal,
  ForkNotAllowed,
  ImportRefused,
  ModelAlreadyRegistered,
  ModelDelistedError,
  ModelNotFound,
  ModelVersionNotFound,
  NotModelOwnerOrCoordinator,
  NotVoterKey,
  ProposalAlreadyExists,
  ProposalClosed,
  ProposalInvalid,
  ProposalNotFound,
  ProposalStillOpen,
  VersionConflict,
  type ModelError
} from "./errors"
import type { ModelCatalogEvent, ModelEvent } from "./events"
import { findVersion, type CatalogState, type ModelState } from "./state"
import { lastPaged } from "../pagedList"
import type { NeuraModelManifest } from "./manifest"

type Decision = Result.Result<ReadonlyArray<ModelEvent>, ModelError>
type Registered = Exclude<ModelState, { status: "none" }>

const registered = (modelId: ModelId, state: ModelState): Result.Result<Registered, ModelError> =>
  state.status === "none" ? Result.fail(new ModelNotFound({ modelId })) : Result.succeed(state)

const latestVersion = (s: Registered) => lastPaged(s.versions)?.version ?? 0

export const allocateModelId = (c: AllocateModelId, state: CatalogState): Result.Result<ReadonlyArray<ModelCatalogEvent>, never> => {
  const number = state.allocated + 1
  return Result.succeed([{ _tag: "ModelIdAllocated", modelId: `M-${number}` as ModelId, number, allocatedTo: c.actor, allocatedAt: c.at }])
}

/** How every model begins: registered, with its weights as v1. */
const genesis = (g: {
  readonly c: { readonly modelId: ModelId; readonly name: string; readonly description?: string | undefined; readonly actor: Address; readonly at: string }
  readonly topology: Record<string, unknown>
  readonly topologyHash: Hash32
  readonly weightsHash: Hash32
  readonly parent?: ModelVersionRef
  readonly imported?: { readonly artefactHash: Hash32; readonly manifest: NeuraModelManifest }
}): Array<ModelEvent> => [
  {
    _tag: "ModelRegistered",
    modelId: g.c.modelId,
    name: g.c.name,
    description: g.c.description ?? "",
    owner: g.c.actor,
    topology: g.topology,
    topologyHash: g.topologyHash,
    origin: g.parent ? { _tag: "Fork", parent: g.parent } : g.imported ? { _tag: "Imported", ...g.imported } : { _tag: "New" },
    registeredAt: g.c.at
  },
  {
    _tag: "ModelVersionCreated",
    modelId: g.c.modelId,
    version: 1,
    weightsHash: g.weightsHash,
    ...(g.parent ? { parent: g.parent } : {}),
    lineage: { results: [], datasets: [], nodes: [] },
    createdBy: g.c.actor,
    createdAt: g.c.at
  }
]

export const registerModel = (c: RegisterModel, state: ModelState): Decision => {
  if (state.status !== "none") return Result.fail(new ModelAlreadyRegistered({ modelId: c.modelId }))
  return Result.succeed(genesis({ c, topology: c.topology, topologyHash: c.topologyHash, weightsHash: c.initialWeightsHash }))
}

/** A model from another framework: registered like any model once the API has converted it to Layers form. */
export const importModel = (c: ImportModel, state: ModelState): Decision => {
  if (state.status !== "none") return Result.fail(new ModelAlreadyRegistered({ modelId: c.modelId }))
  if (c.conversion._tag === "Refused") return Result.fail(new ImportRefused({ reason: c.conversion.reason }))
  // Converted or opaque (scored, forked and published, never fine-tuned): registered alike.
  const { topology, topologyHash, weightsHash } = c.conversion
  return Result.succeed(genesis({ c, topology, topologyHash, weightsHash, imported: { artefactHash: c.artefactHash, manifest: c.manifest } }))
}

export const forkModel = (c: ForkModel, state: ModelState): Decision => {
  if (state.status !== "none") return Result.fail(new ModelAlreadyRegistered({ modelId: c.modelId }))
  const parent = c.parentFacts
  if (parent.status === "delisted") return Result.fail(new ForkNotAllowed({ modelId: c.parent.modelId, reason: "parent is delisted" }))
  // Anyone may fork a version the DAO published; any other version only its owner.
  const published = parent.publishedVersions.includes(c.parent.version)
  if (!published && parent.owner !== c.actor) {
    return Result.fail(new ForkNotAllowed({ modelId: c.parent.modelId, reason: "only published versions can be forked by others" }))
  }
  return Result.succeed(genesis({ c, topology: parent.topology, topologyHash: parent.topologyHash, weightsHash: parent.weightsHash, parent: c.parent }))
}

export const recordFork = (c: RecordFork, state: ModelState): Decision =>
  Result.flatMap(registered(c.modelId, state), (s): Decision => {
    if (!findVersion(s.versions, c.version)) return Result.fail(new ModelVersionNotFound({ modelId: c.modelId, version: c.version }))
    return Result.succeed([{ _tag: "ModelForked", modelId: c.modelId, version: c.version, childModelId: c.childModelId, forkedBy: c.actor, forkedAt: c.at }])
  })

export const createModelVersion = (c: CreateModelVersion, state: ModelState): Decision =>
  Result.flatMap(registered(c.modelId, state), (s): Decision => {
    if (s.status === "delisted") return Result.fail(new ModelDelistedError({ modelId: c.modelId }))
    if (c.actor !== s.owner && !c.actorIsCoordinator) return Result.fail(new NotModelOwnerOrCoordinator({ modelId: c.modelId, actor: c.actor }))
    const latest = latestVersion(s)
    if (c.parentVersion !== latest) return Result.fail(new VersionConflict({ modelId: c.modelId, latest, parentVersion: c.parentVersion }))
    return Result.succeed([
      {
        _tag: "ModelVersionCreated",
        modelId: c.modelId,
        version: latest + 1,
        weightsHash: c.weightsHash,
        parent: { modelId: c.modelId, version: c.parentVersion },
        lineage: c.lineage,
        ...(c.metrics ? { metrics: c.metrics } : {}),
        createdBy: c.actor,
        createdAt: c.at
      }
    ])
  })

export const openProposal = (c: OpenProposal, state: ModelState): Decision =>
  Result.flatMap(registered(c.modelId, state), (s): Decision => {
    if (c.actor !== c.proposerNode.address || c.proposerNode.nodeId !== c.nodeId) return Result.fail(new NotVoterKey({ nodeId: c.nodeId, actor: c.actor }))
    if (s.proposals.has(c.proposalId)) return Result.fail(new ProposalAlreadyExists({ proposalId: c.proposalId }))
    switch (c.action) {
      case "publish": {
        if (c.version === undefined) return Result.fail(new ProposalInvalid({ reason: "publish needs a version" }))
        if (!findVersion(s.versions, c.version)) return Result.fail(new ModelVersionNotFound({ modelId: c.modelId, version: c.version }))
        if (s.status === "delisted") return Result.fail(new ModelDelistedError({ modelId: c.modelId }))
        break
      }
      case "delist":
        if (s.status === "delisted") return Result.fail(new ProposalInvalid({ reason: "model is already delisted" }))
        break
      case "modify":
        if (!c.changes || (c.changes.name === undefined && c.changes.description === undefined)) {
          return Result.fail(new ProposalInvalid({ reason: "modify needs changes" }))
        }
        break
    }
    return Result.succeed([
      {
        _tag: "ProposalOpened",
        modelId: c.modelId,
        proposalId: c.proposalId,
        action: c.action,
        ...(c.version === undefined ? {} : { version: c.version }),
        ...(c.changes === undefined ? {} : { changes: c.changes }),
        ...(c.reason === undefined ? {} : { reason: c.reason }),
        proposer: c.actor,
        nodeId: c.nodeId,
        // The protocol, not the proposer, sets the period and the quorum.
        quorumStake: (c.bondedTotal * BigInt(c.quorumBps)) / 10_000n,
        closesAt: addSeconds(c.at, c.votingSeconds),
        openedAt: c.at
      }
    ])
  })

export const castProposalVote = (c: CastProposalVote, state: ModelState): Decision =>
  Result.flatMap(registered(c.modelId, state), (s): Decision => {
    if (c.actor !== c.voterNode.address || c.voterNode.nodeId !== c.nodeId) return Result.fail(new NotVoterKey({ nodeId: c.nodeId, actor: c.actor }))
    const p = s.proposals.get(c.proposalId)
    if (!p) return Result.fail(new ProposalNotFound({ proposalId: c.proposalId }))
    if (p.status !== "open" || Date.parse(c.at) > Date.parse(p.opened.closesAt)) return Result.fail(new ProposalClosed({ proposalId: c.proposalId }))
    // One identity, one vote: neither the node nor its key may vote twice.
    if (p.votes.has(c.nodeId) || [...p.votes.values()].some((v) => v.voter === c.actor)) {
      return Result.fail(new AlreadyVotedOnProposal({ proposalId: c.proposalId, voter: c.actor }))
    }
    // Votes weigh by bonded stake: an identity without stake has no say (identities are free; stake is not).
    if (c.voterStake <= 0n) return Result.fail(new ProposalInvalid({ reason: `${c.nodeId} has no bonded stake to vote with` }))
    return Result.succeed([
      { _tag: "ProposalVoteCast", modelId: c.modelId, proposalId: c.proposalId, nodeId: c.nodeId, voter: c.actor, support: c.support, weight: c.voterStake, castAt: c.at }
    ])
  })

export const closeProposal = (c: CloseProposal, state: ModelState): Decision =>
  Result.flatMap(registered(c.modelId, state), (s): Decision => {
    const p = s.proposals.get(c.proposalId)
    if (!p) return Result.fail(new ProposalNotFound({ proposalId: c.proposalId }))
    if (p.status !== "open") return Result.fail(new ProposalClosed({ proposalId: c.proposalId }))
    if (Date.parse(c.at) <= Date.parse(p.opened.closesAt)) return Result.fail(new ProposalStillOpen({ proposalId: c.proposalId, closesAt: p.opened.closesAt }))
    const votes = [...p.votes.values()]
    const votesFor = votes.filter((v) => v.support).reduce((s, v) => s + v.weight, 0n)
    const votesAgainst = votes.filter((v) => !v.support).reduce((s, v) => s + v.weight, 0n)
    const reject = (reason: string): Decision =>
      Result.succeed([{ _tag: "ProposalRejected", modelId: c.modelId, proposalId: c.proposalId, votesFor, votesAgainst, reason, closedAt: c.at }])
    if (votesFor + votesAgainst < p.opened.quorumStake) return reject(`${votesFor + votesAgainst} stake voted, quorum is ${p.opened.quorumStake}`)
    if (votesFor <= votesAgainst) return reject(`${votesFor} stake for, ${votesAgainst} against`)
    // The model may have changed while the vote ran.
    if (s.status === "delisted") return reject("model was delisted meanwhile")
    switch (p.opened.action) {
      case "publish":
        return Result.succeed([{ _tag: "ModelPublished", modelId: c.modelId, version: p.opened.version!, proposalId: c.proposalId, publishedAt: c.at }])
      case "delist":
        return Result.succeed([{ _tag: "ModelDelisted", modelId: c.modelId, proposalId: c.proposalId, reason: p.opened.reason ?? "DAO decision", delistedAt: c.at }])
      case "modify":
        return Result.succeed([{ _tag: "ModelModified", modelId: c.modelId, proposalId: c.proposalId, changes: p.opened.changes!, modifiedAt: c.at }])
    }
  })

export const decide = (command: ModelCommand, state: ModelState): Decision => {
  switch (command._tag) {
    case "RegisterModel":
      return registerModel(command, state)
    case "ImportModel":
      return importModel(command, state)
    case "ForkModel":
      return forkModel(command, state)
    case "RecordFork":
      return recordFork(command, state)
    case "CreateModelVersion":
      return createModelVersion(command, state)
    case "OpenProposal":
      return openProposal(command, state)
    case "CastProposalVote":
      return castProposalVote(command, state)
    case "CloseProposal":
      return closeProposal(command, state)
    default: {
      const unhandled: never = command
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`)
    }
  }
}

export const decideCatalog = (command: ModelCatalogCommand, state: CatalogState) => allocateModelId(command, state)
