import { Schema } from "effect"
import { DatasetSplit, Shard } from "../dataset/events"
import { NodeRole } from "../node/events"
import {
  Address,
  DatasetId,
  Hash32,
  Instant,
  Metrics,
  ModelId,
  ModelVersionRef,
  NeuraAmount,
  NodeId,
  NonNegativeInt,
  PositiveInt,
  ResultId,
  MetricName,
  TaskId,
  WorkloadId
} from "../primitives"
import { ProtocolParams } from "../protocol"
import { Assignment, Criteria, DisputeAnswered, MetricDirection, Objective, ParticipantRole, RewardSplit, Ruling, SegmentEvidence, StepLeaf, TrainingPlan, TrainingProof, Verdict } from "./events"

/** Facts the API loads from other aggregates and hands to the decider. */
export const NodeFacts = Schema.Struct({
  nodeId: NodeId,
  address: Address,
  roles: Schema.Array(NodeRole),
  capabilities: Schema.Array(Schema.String)
})
export const ModelVersionFacts = Schema.Struct({
  modelId: ModelId,
  version: PositiveInt,
  weightsHash: Hash32,
  owner: Address,
  status: Schema.Literals(["registered", "published", "delisted"])
})
export const DatasetFacts = Schema.Struct({
  datasetId: DatasetId,
  split: DatasetSplit,
  /** The shards' byte format (a workload reads one format); datasets older than workloads are "digits-csv". */
  format: Schema.String,
  contentHash: Hash32,
  sampleCount: Schema.Number,
  shards: Schema.Array(Shard)
})

/**
 * What the workload registry says about the workload a task names, and what
 * it found wrong with the base model's topology (the registry is code, not
 * log: the API asks it and hands the answer to the decider).
 */
export const WorkloadFacts = Schema.Struct({
  workloadId: WorkloadId,
  datasetFormat: Schema.String,
  metrics: Schema.Array(Schema.Struct({ name: MetricName, direction: MetricDirection })),
  topologyProblem: Schema.optional(Schema.String)
})
export type WorkloadFacts = typeof WorkloadFacts.Type

const actorAndTime = { actor: Address, at: Instant }
/** Set by the API when the signer is one of the network's coordinator identities (dispatcher/aggregator). */
const coordinatorFlag = { actorIsCoordinator: Schema.Boolean }

export const CreateTaskPayload = Schema.Struct({
  taskId: TaskId,
  title: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  /** The workload that trains and measures the task (GET /workloads lists them); "digits" when omitted. */
  workload: Schema.optional(WorkloadId),
  base: ModelVersionRef,
  datasets: Schema.Struct({
    training: Schema.Array(DatasetId).pipe(Schema.check(Schema.isMinLength(1))),
    validation: DatasetId
  }),
  objective: Objective,
  training: TrainingPlan,
  criteria: Criteria,
  rewardSplit: RewardSplit,
  budget: NeuraAmount
})
export class CreateTask extends Schema.TaggedClass<CreateTask>()("CreateTask", {
  ...CreateTaskPayload.fields,
  ...actorAndTime,
  baseModel: ModelVersionFacts,
  workloadFacts: WorkloadFacts,
  trainingDatasets: Schema.Array(DatasetFacts),
  validationDataset: DatasetFacts,
  /** The network's protocol parameters now (the API's configuration). */
  protocol: ProtocolParams,
  /**
   * With on-chain settlement: what the creator deposited into the escrow
   * contract's `task:<taskId>` account, as the bridge recorded it. Absent when
   * the API settles nothing on chain (budgets are then declared, not backed).
   */
  deposited: Schema.optional(NeuraAmount)
}) {}

export const JoinTaskPayload = Schema.Struct({
  taskId: TaskId,
  nodeId: NodeId,
  role: ParticipantRole,
  /** Stake to commit to the task (at least the protocol's minimum for the role, which is the default): its weight in validator draws. */
  stake: Schema.optional(NeuraAmount)
})
export class JoinTask extends Schema.TaggedClass<JoinTask>()("JoinTask", {
  ...JoinTaskPayload.fields,
  ...actorAndTime,
  node: NodeFacts,
  /** Stake the node has committed to this task (the API commits it on the node's stream first). */
  stakeCommitted: NeuraAmount
}) {}

export const StartRoundPayload = Schema.Struct({ taskId: TaskId, round: PositiveInt })
export class StartRound extends Schema.TaggedClass<StartRound>()("StartRound", {
  ...StartRoundPayload.fields,
  ...actorAndTime,
  ...coordinatorFlag,
  /** The model's latest version now: each round trains from it. */
  latestVersion: ModelVersionFacts,
  /** The task's training datasets now: shards accepted since the last round join the task from this one. */
  trainingDatasets: Schema.optional(Schema.Array(DatasetFacts))
}) {}

export const DispatchTrainingPayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  assignments: Schema.Array(Assignment).pipe(Schema.check(Schema.isMinLength(1)))
})
export class DispatchTraining extends Schema.TaggedClass<DispatchTraining>()("DispatchTraining", {
  ...DispatchTrainingPayload.fields,
  ...actorAndTime,
  ...coordinatorFlag
}) {}

export const SubmitResultPayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  proof: TrainingProof
})
export class SubmitResult extends Schema.TaggedClass<SubmitResult>()("SubmitResult", {
  ...SubmitResultPayload.fields,
  ...actorAndTime
}) {}

export const DrawValidatorsPayload = Schema.Struct({ taskId: TaskId, round: PositiveInt, resultId: ResultId })
export class DrawValidators extends Schema.TaggedClass<DrawValidators>()("DrawValidators", {
  ...DrawValidatorsPayload.fields,
  ...actorAndTime,
  /** Hash of the log entry that recorded the result (loaded by the API from the log): the draw's seed. */
  resultCommitHash: Hash32
}) {}

export const CommitVotePayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  commitment: Hash32
})
export class CommitVote extends Schema.TaggedClass<CommitVote>()("CommitVote", {
  ...CommitVotePayload.fields,
  ...actorAndTime
}) {}

/** The reveal of a committed vote. */
export const CastVerificationVotePayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  verdict: Verdict,
  measured: Metrics,
  evidence: SegmentEvidence,
  salt: Hash32,
  reason: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(500))))
})
export class CastVerificationVote extends Schema.TaggedClass<CastVerificationVote>()("CastVerificationVote", {
  ...CastVerificationVotePayload.fields,
  ...actorAndTime
}) {}

/** A contested result's trainer opens its audited segment, step by step (bisection.ts). */
export const AnswerDisputePayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  /** The trainer's node. */
  nodeId: NodeId,
  states: DisputeAnswered.fields.states
})
export class AnswerDispute extends Schema.TaggedClass<AnswerDispute>()("AnswerDispute", {
  ...AnswerDisputePayload.fields,
  ...actorAndTime
}) {}

/** A juror of a bisected dispute commits its hidden ruling (jury.ts). */
export const CommitRulingPayload = Schema.Struct({ taskId: TaskId, round: PositiveInt, resultId: ResultId, nodeId: NodeId, commitment: Hash32 })
export class CommitRuling extends Schema.TaggedClass<CommitRuling>()("CommitRuling", {
  ...CommitRulingPayload.fields,
  ...actorAndTime
}) {}

/** A juror reveals its ruling: its leaf for every step the dispute comes down to, and the salt. */
export const RevealRulingPayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  rulings: Schema.Array(StepLeaf).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))),
  salt: Hash32
})
export class RevealRuling extends Schema.TaggedClass<RevealRuling>()("RevealRuling", {
  ...RevealRulingPayload.fields,
  ...actorAndTime
}) {}

export const ReplaceValidatorPayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  /** The assigned validator that went silent before committing its vote. */
  nodeId: NodeId
})
export class ReplaceValidator extends Schema.TaggedClass<ReplaceValidator>()("ReplaceValidator", {
  ...ReplaceValidatorPayload.fields,
  ...actorAndTime,
  ...coordinatorFlag
}) {}

export const CloseRoundPayload = Schema.Struct({
  taskId: TaskId,
  round: PositiveInt,
  /**
   * The aggregated version (already created on the model), its held-out
   * metrics, and (the coordinator always says) the results it averaged: they
   * must be exactly the round's verified results after its rulings, so a
   * version built before a late contest cannot close the round.
   */
  newVersion: Schema.optional(Schema.Struct({ ref: ModelVersionRef, metrics: Metrics, results: Schema.optional(Schema.Array(ResultId)) })),
  /** The referee's re-execution of a contested result's audited segment (when it cannot be bisected). */
  rulings: Schema.optional(Schema.Array(Ruling))
})
export class CloseRound extends Schema.TaggedClass<CloseRound>()("CloseRound", {
  ...CloseRoundPayload.fields,
  ...actorAndTime,
  ...coordinatorFlag
}) {}

/** A staked node of the task disputes a verified result inside its window: it re-executed `segment` and got `endHash`. */
export const ChallengeResultPayload = Schema.Struct({
  taskId: TaskId,
  resultId: ResultId,
  nodeId: NodeId,
  segment: NonNegativeInt,
  endHash: Hash32
})
export class ChallengeResult extends Schema.TaggedClass<ChallengeResult>()("ChallengeResult", {
  ...ChallengeResultPayload.fields,
  ...actorAndTime
}) {}

/** The referee's re-execution of a challenged segment (coordinator or owner). */
export const ResolveChallengePayload = Schema.Struct({ taskId: TaskId, resultId: ResultId, endHash: Hash32 })
export class ResolveChallenge extends Schema.TaggedClass<ResolveChallenge>()("ResolveChallenge", {
  ...ResolveChallengePayload.fields,
  ...actorAndTime,
  ...coordinatorFlag
}) {}

/** Anyone, once a result's window has passed unchallenged: it becomes final and its held reward is paid. */
export const FinalizeResultPayload = Schema.Struct({ taskId: TaskId, resultId: ResultId })
export class FinalizeResult extends Schema.TaggedClass<FinalizeResult>()("FinalizeResult", {
  ...FinalizeResultPayload.fields,
  ...actorAndTime
}) {}

export type TaskCommand =
  | CreateTask
  | JoinTask
  | StartRound
  | DispatchTraining
  | SubmitResult
  | DrawValidators
  | CommitVote
  | CastVerificationVote
  | AnswerDispute
  | CommitRuling
  | RevealRuling
  | ReplaceValidator
  | CloseRound
  | ChallengeResult
  | ResolveChallenge
  | FinalizeResult
