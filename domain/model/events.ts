import { Schema } from "effect"
import { NeuraAmount,
  Address,
  DatasetId,
  Hash32,
  Instant,
  JsonObject,
  Metrics,
  ModelId,
  ModelVersionRef,
  NodeId,
  PositiveInt,
  ProposalId,
  ResultId,
  TaskId
} from "../primitives"
import { NeuraModelManifest } from "./manifest"

/** The catalog hands out model numbers in order: M-1, M-2, … */
export const ModelIdAllocated = Schema.TaggedStruct("ModelIdAllocated", {
  modelId: ModelId,
  number: PositiveInt,
  allocatedTo: Address,
  allocatedAt: Instant
})

export const ModelOrigin = Schema.Union([
  Schema.TaggedStruct("New", {}),
  Schema.TaggedStruct("Fork", { parent: ModelVersionRef }),
  /** Submitted from another framework (ImportModel): the artefact as submitted, by hash, and its manifest. */
  Schema.TaggedStruct("Imported", { artefactHash: Hash32, manifest: NeuraModelManifest })
])

export const ModelRegistered = Schema.TaggedStruct("ModelRegistered", {
  modelId: ModelId,
  name: Schema.String,
  description: Schema.String,
  owner: Address,
  /** TF.js Layers JSON topology (model.toJSON()), stored as given. */
  topology: JsonObject,
  topologyHash: Hash32,
  origin: ModelOrigin,
  registeredAt: Instant
})

export const Lineage = Schema.Struct({
  taskId: Schema.optional(TaskId),
  round: Schema.optional(PositiveInt),
  results: Schema.Array(ResultId),
  datasets: Schema.Array(DatasetId),
  nodes: Schema.Array(NodeId)
})

/** `M-23-v4`: a new set of weights for the model, with where it came from. */
export const ModelVersionCreated = Schema.TaggedStruct("ModelVersionCreated", {
  modelId: ModelId,
  version: PositiveInt,
  weightsHash: Hash32,
  parent: Schema.optional(ModelVersionRef),
  lineage: Lineage,
  metrics: Schema.optional(Metrics),
  createdBy: Address,
  createdAt: Instant
})

/** Recorded in the parent's stream: a branch now exists. */
export const ModelForked = Schema.TaggedStruct("ModelForked", {
  modelId: ModelId,
  version: PositiveInt,
  childModelId: ModelId,
  forkedBy: Address,
  forkedAt: Instant
})

export const ProposalAction = Schema.Literals(["publish", "delist", "modify"])
export const ModelChanges = Schema.Struct({
  name: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200)))),
  description: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(2000))))
})

export const ProposalOpened = Schema.TaggedStruct("ProposalOpened", {
  modelId: ModelId,
  proposalId: ProposalId,
  action: ProposalAction,
  version: Schema.optional(PositiveInt),
  changes: Schema.optional(ModelChanges),
  reason: Schema.optional(Schema.String),
  proposer: Address,
  nodeId: NodeId,
  /** Stake that must vote for the decision to count: the protocol's share of all bonded stake when it opened. */
  quorumStake: NeuraAmount,
  /** Opening time plus the protocol's voting period. */
  closesAt: Instant,
  openedAt: Instant
})

export const ProposalVoteCast = Schema.TaggedStruct("ProposalVoteCast", {
  modelId: ModelId,
  proposalId: ProposalId,
  nodeId: NodeId,
  voter: Address,
  support: Schema.Boolean,
  /** The voter's bonded stake when it voted: its weight. */
  weight: NeuraAmount,
  castAt: Instant
})

export const ModelPublished = Schema.TaggedStruct("ModelPublished", {
  modelId: ModelId,
  version: PositiveInt,
  proposalId: ProposalId,
  publishedAt: Instant
})

export const ModelDelisted = Schema.TaggedStruct("ModelDelisted", {
  modelId: ModelId,
  proposalId: ProposalId,
  reason: Schema.String,
  delistedAt: Instant
})

export const ModelModified = Schema.TaggedStruct("ModelModified", {
  modelId: ModelId,
  proposalId: ProposalId,
  changes: ModelChanges,
  modifiedAt: Instant
})

export const ProposalRejected = Schema.TaggedStruct("ProposalRejected", {
  modelId: ModelId,
  proposalId: ProposalId,
  /** Stake for and against. */
  votesFor: NeuraAmount,
  votesAgainst: NeuraAmount,
  reason: Schema.String,
  closedAt: Instant
})

export const ModelEvent = Schema.Union([
  ModelRegistered,
  ModelVersionCreated,
  ModelForked,
  ProposalOpened,
  ProposalVoteCast,
  ModelPublished,
  ModelDelisted,
  ModelModified,
  ProposalRejected
])
export type ModelEvent = typeof ModelEvent.Type

export const ModelCatalogEvent = Schema.Union([ModelIdAllocated])
export type ModelCatalogEvent = typeof ModelCatalogEvent.Type
