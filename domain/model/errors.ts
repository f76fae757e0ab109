import { Schema } from "effect"

const S = Schema.String
export class ModelAlreadyRegistered extends Schema.TaggedError<ModelAlreadyRegistered>()("ModelAlreadyRegistered", { modelId: S }) {}
export class ModelNotFound extends Schema.TaggedError<ModelNotFound>()("ModelNotFound", { modelId: S }) {}
export class ModelVersionNotFound extends Schema.TaggedError<ModelVersionNotFound>()("ModelVersionNotFound", {
  modelId: S,
  version: Schema.Number
}) {}
export class ModelDelistedError extends Schema.TaggedError<ModelDelistedError>()("ModelDelisted", { modelId: S }) {}
export class NotModelOwnerOrCoordinator extends Schema.TaggedError<NotModelOwnerOrCoordinator>()("NotModelOwnerOrCoordinator", {
  modelId: S,
  actor: S
}) {}
/** A submitted model that does not fit what its manifest claims, or that the network cannot convert. */
export class ImportRefused extends Schema.TaggedError<ImportRefused>()("ImportRefused", { reason: S }) {}
export class ForkNotAllowed extends Schema.TaggedError<ForkNotAllowed>()("ForkNotAllowed", { modelId: S, reason: S }) {}
export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  modelId: S,
  latest: Schema.Number,
  parentVersion: Schema.Number
}) {}
export class ProposalInvalid extends Schema.TaggedError<ProposalInvalid>()("ProposalInvalid", { reason: S }) {}
export class ProposalNotFound extends Schema.TaggedError<ProposalNotFound>()("ProposalNotFound", { proposalId: S }) {}
export class ProposalAlreadyExists extends Schema.TaggedError<ProposalAlreadyExists>()("ProposalAlreadyExists", { proposalId: S }) {}
export class ProposalClosed extends Schema.TaggedError<ProposalClosed>()("ProposalClosed", { proposalId: S }) {}
export class ProposalStillOpen extends Schema.TaggedError<ProposalStillOpen>()("ProposalStillOpen", { proposalId: S, closesAt: S }) {}
export class AlreadyVotedOnProposal extends Schema.TaggedError<AlreadyVotedOnProposal>()("AlreadyVotedOnProposal", {
  proposalId: S,
  voter: S
}) {}
export class NotVoterKey extends Schema.TaggedError<NotVoterKey>()("NotVoterKey", { nodeId: S, actor: S }) {}

export type ModelError =
  | ModelAlreadyRegistered
  | ImportRefused
  | ModelNotFound
  | ModelVersionNotFound
  | ModelDelistedError
  | NotModelOwnerOrCoordinator
  | ForkNotAllowed
  | VersionConflict
  | ProposalInvalid
  | ProposalNotFound
  | ProposalAlreadyExists
  | ProposalClosed
  | ProposalStillOpen
  | AlreadyVotedOnProposal
  | NotVoterKey
