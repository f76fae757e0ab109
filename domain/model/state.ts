import { appendPaged, emptyPagedList, findPaged, type PagedList } from "../pagedList"
import type { Address, Hash32, Metrics, ModelId, NodeId, ProposalId } from "../primitives"
import type { ModelCatalogEvent, ModelEvent, ModelOrigin } from "./events"

type Opened = Extract<ModelEvent, { _tag: "ProposalOpened" }>

export interface Proposal {
  readonly opened: Opened
  readonly votes: ReadonlyMap<NodeId, { readonly voter: Address; readonly support: boolean; readonly weight: bigint }>
  readonly status: "open" | "passed" | "rejected"
}

export interface ModelVersion {
  readonly version: number
  readonly weightsHash: Hash32
  readonly metrics?: Metrics
}

export type ModelState =
  | { readonly status: "none" }
  | {
      readonly status: "registered" | "published" | "delisted"
      readonly modelId: ModelId
      readonly owner: Address
      readonly name: string
      readonly description: string
      readonly topology: Record<string, unknown>
      readonly topologyHash: Hash32
      /** New, a fork of a version, or imported from another framework (with its artefact and manifest). */
      readonly origin: typeof ModelOrigin.Type
      /** In order, kept in pages (pagedList.ts): a model gains a version every round. */
      readonly versions: PagedList<ModelVersion>
      /** The latest version the DAO published. */
      readonly publishedVersion?: number
      /** Every version the DAO published: only these may be forked by others. */
      readonly publishedVersions: ReadonlyArray<number>
      readonly proposals: ReadonlyMap<ProposalId, Proposal>
      readonly forks: ReadonlyArray<ModelId>
    }

/** A model's version by its number, if it has one. */
export const findVersion = (versions: PagedList<ModelVersion>, version: number): ModelVersion | undefined => findPaged(versions, (v) => v.version === version)

export const initialState: ModelState = { status: "none" }

export const evolve = (state: ModelState, event: ModelEvent): ModelState => {
  if (event._tag === "ModelRegistered") {
    return {
      status: "registered",
      modelId: event.modelId,
      owner: event.owner,
      name: event.name,
      description: event.description,
      topology: event.topology,
      topologyHash: event.topologyHash,
      origin: event.origin,
      versions: emptyPagedList,
      publishedVersions: [],
      proposals: new Map(),
      forks: []
    }
  }
  if (state.status === "none") return state
  const withProposal = (id: ProposalId, f: (p: Proposal) => Proposal) => {
    const proposals = new Map(state.proposals)
    const p = proposals.get(id)
    if (p) proposals.set(id, f(p))
    return proposals
  }
  switch (event._tag) {
    case "ModelVersionCreated":
      return {
        ...state,
        versions: appendPaged(state.versions, { version: event.version, weightsHash: event.weightsHash, ...(event.metrics ? { metrics: event.metrics } : {}) })
      }
    case "ModelForked":
      return { ...state, forks: [...state.forks, event.childModelId] }
    case "ProposalOpened": {
      const proposals = new Map(state.proposals)
      proposals.set(event.proposalId, { opened: event, votes: new Map(), status: "open" })
      return { ...state, proposals }
    }
    case "ProposalVoteCast":
      return {
        ...state,
        proposals: withProposal(event.proposalId, (p) => {
          const votes = new Map(p.votes)
          votes.set(event.nodeId, { voter: event.voter, support: event.support, weight: event.weight })
          return { ...p, votes }
        })
      }
    case "ModelPublished":
      return { ...state, status: "published", publishedVersion: event.version, publishedVersions: [...state.publishedVersions, event.version], proposals: withProposal(event.proposalId, (p) => ({ ...p, status: "passed" })) }
    case "ModelDelisted":
      return { ...state, status: "delisted", proposals: withProposal(event.proposalId, (p) => ({ ...p, status: "passed" })) }
    case "ModelModified":
      return {
        ...state,
        ...(event.changes.name === undefined ? {} : { name: event.changes.name }),
        ...(event.changes.description === undefined ? {} : { description: event.changes.description }),
        proposals: withProposal(event.proposalId, (p) => ({ ...p, status: "passed" }))
      }
    case "ProposalRejected":
      return { ...state, proposals: withProposal(event.proposalId, (p) => ({ ...p, status: "rejected" })) }
  }
}

export interface CatalogState {
  readonly allocated: number
}
export const initialCatalogState: CatalogState = { allocated: 0 }
export const evolveCatalog = (state: CatalogState, event: ModelCatalogEvent): CatalogState => ({
  allocated: Math.max(state.allocated, event.number)
})
