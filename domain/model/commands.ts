import { Schema } from "effect"
import { NodeFacts } from "../task/commands"
import { Address, Hash32, Instant, JsonObject, Metrics, ModelId, ModelVersionRef, NeuraAmount, PositiveInt, ProposalId } from "../primitives"
import { Lineage, ModelChanges, ProposalAction } from "./events"
import { ImportConversion, NeuraModelManifest } from "./manifest"

const actorAndTime = { actor: Address, at: Instant }

export class AllocateModelId extends Schema.TaggedClass<AllocateModelId>()("AllocateModelId", { ...actorAndTime }) {}

export const RegisterModelPayload = Schema.Struct({
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  description: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(2000)))),
  topology: JsonObject,
  /** SHA-256 of the initial weights in the weights object store. */
  initialWeightsHash: Hash32
})
export class RegisterModel extends Schema.TaggedClass<RegisterModel>()("RegisterModel", {
  ...RegisterModelPayload.fields,
  modelId: ModelId,
  /** keccak256 of the topology's canonical JSON, computed by the API. */
  topologyHash: Hash32,
  ...actorAndTime
}) {}

export const ImportModelPayload = Schema.Struct({
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  description: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(2000)))),
  /** neura-model.json. */
  manifest: NeuraModelManifest,
  /** SHA-256 of the artefact's bytes, uploaded first like weights (PUT /weights/sha256-<hex>). */
  artefactHash: Hash32
})
export class ImportModel extends Schema.TaggedClass<ImportModel>()("ImportModel", {
  ...ImportModelPayload.fields,
  modelId: ModelId,
  /** What the API made of the artefact against the manifest's workload. */
  conversion: ImportConversion,
  ...actorAndTime
}) {}

export const ParentFacts = Schema.Struct({
  owner: Address,
  status: Schema.Literals(["registered", "published", "delisted"]),
  /** Every version the DAO published (not just the latest). */
  publishedVersions: Schema.Array(PositiveInt),
  weightsHash: Hash32,
  topology: JsonObject,
  topologyHash: Hash32
})

export const ForkModelPayload = Schema.Struct({
  parent: ModelVersionRef,
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  description: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(2000))))
})
export class ForkModel extends Schema.TaggedClass<ForkModel>()("ForkModel", {
  ...ForkModelPayload.fields,
  modelId: ModelId,
  parentFacts: ParentFacts,
  ...actorAndTime
}) {}

export class RecordFork extends Schema.TaggedClass<RecordFork>()("RecordFork", {
  modelId: ModelId,
  version: PositiveInt,
  childModelId: ModelId,
  ...actorAndTime
}) {}

export const CreateModelVersionPayload = Schema.Struct({
  modelId: ModelId,
  /** The version these weights were derived from: must be the latest (versions are linear; branches are forks). */
  parentVersion: PositiveInt,
  weightsHash: Hash32,
  lineage: Lineage,
  metrics: Schema.optional(Metrics)
})
export class CreateModelVersion extends Schema.TaggedClass<CreateModelVersion>()("CreateModelVersion", {
  ...CreateModelVersionPayload.fields,
  ...actorAndTime,
  actorIsCoordinator: Schema.Boolean
}) {}

export const OpenProposalPayload = Schema.Struct({
  modelId: ModelId,
  proposalId: ProposalId,
  nodeId: NodeFacts.fields.nodeId,
  action: ProposalAction,
  version: Schema.optional(PositiveInt),
  changes: Schema.optional(ModelChanges),
  reason: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(1000))))
})
export class OpenProposal extends Schema.TaggedClass<OpenProposal>()("OpenProposal", {
  ...OpenProposalPayload.fields,
  ...actorAndTime,
  proposerNode: NodeFacts,
  /** The protocol's voting period and quorum share. */
  votingSeconds: PositiveInt,
  quorumBps: Schema.Number,
  /** All stake bonded in the network now (from the log). */
  bondedTotal: NeuraAmount
}) {}

export const CastProposalVotePayload = Schema.Struct({
  modelId: ModelId,
  proposalId: ProposalId,
  nodeId: NodeFacts.fields.nodeId,
  support: Schema.Boolean
})
export class CastProposalVote extends Schema.TaggedClass<CastProposalVote>()("CastProposalVote", {
  ...CastProposalVotePayload.fields,
  ...actorAndTime,
  voterNode: NodeFacts,
  /** The voter's bonded stake now (from its node stream). */
  voterStake: NeuraAmount
}) {}

export const CloseProposalPayload = Schema.Struct({ modelId: ModelId, proposalId: ProposalId })
export class CloseProposal extends Schema.TaggedClass<CloseProposal>()("CloseProposal", {
  ...CloseProposalPayload.fields,
  ...actorAndTime
}) {}

export type ModelCommand = RegisterModel | ImportModel | ForkModel | RecordFork | CreateModelVersion | OpenProposal | CastProposalVote | CloseProposal
export type ModelCatalogCommand = AllocateModelId
