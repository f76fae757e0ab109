import { Schema } from "effect"
import { Shard } from "../dataset/events"
import { BudgetEscrowed, BudgetRefunded, RewardAllocated, RewardForfeited, RewardHeld } from "../ledger/events"
import { ProtocolParams } from "../protocol"
import {
  ChallengeResolved,
  DisputedVote,
  MAX_SEGMENT_STEPS,
  RulingCommitted,
  RulingRevealed,
  ResultChallenged,
  ResultFinalized,
  ResultRejected,
  ResultVerified,
  StakeSlashed,
  VerificationRequested,
  VerificationVoted,
  VoteCommitted
} from "./verificationEvents"
import {
  Address,
  BasisPoints,
  DatasetId,
  Hash32,
  Instant,
  MetricName,
  Metrics,
  ModelVersionRef,
  NeuraAmount,
  NodeId,
  NonNegativeInt,
  PositiveInt,
  ResultId,
  ShardId,
  TaskId,
  WorkloadId
} from "../primitives"

/** Whether a larger value of the objective's metric is better (accuracy, F1) or a smaller one (perplexity). */
export const MetricDirection = Schema.Literals(["maximize", "minimize"])
export type MetricDirection = typeof MetricDirection.Type

export const Objective = Schema.Struct({
  /** A metric the task's workload measures on the held-out validation set. */
  metric: MetricName,
  target: Schema.Number.pipe(Schema.check(Schema.isFinite(), Schema.isGreaterThan(0))),
  /** Recorded from the workload at creation; events older than workloads have none (they maximise accuracy). */
  direction: Schema.optional(MetricDirection)
})
export type Objective = typeof Objective.Type

export const TrainingPlan = Schema.Struct({
  epochsPerRound: PositiveInt,
  batchSize: PositiveInt,
  learningRate: Schema.Number.pipe(Schema.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(10))),
  optimizer: Schema.Literals(["sgd", "adam"]),
  seed: NonNegativeInt
})

export const Criteria = Schema.Struct({
  minTrainers: PositiveInt,
  validatorsPerResult: PositiveInt,
  /** Matching votes needed to decide a result (accept or reject). */
  quorum: PositiveInt,
  /** Max |claimed - measured| of the objective's metric a validator accepts (absolute, in the metric's unit). */
  metricTolerance: Schema.Number.pipe(Schema.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0))),
  maxRounds: PositiveInt,
  roundDeadlineSeconds: PositiveInt,
  /** A trainer with a rejected result forfeits its trainer rewards for that round. */
  penalizeRejected: Schema.Boolean
})
export type Criteria = typeof Criteria.Type

export const RewardSplit = Schema.Struct({
  trainersBps: BasisPoints,
  validatorsBps: BasisPoints,
  dataProvidersBps: BasisPoints
})
export type RewardSplit = typeof RewardSplit.Type

export const TrainingShard = Schema.Struct({ datasetId: DatasetId, ...Shard.fields })
export type TrainingShard = typeof TrainingShard.Type

export const ValidationSet = Schema.Struct({ datasetId: DatasetId, contentHash: Hash32, sampleCount: PositiveInt })

export const TaskCreated = Schema.TaggedStruct("TaskCreated", {
  taskId: TaskId,
  title: Schema.String,
  owner: Address,
  /** The workload (workloads/registry.ts) that trains and measures this task; events older than workloads are "digits". */
  workload: Schema.optional(WorkloadId),
  /** The model version training starts from; new versions extend this model. */
  base: Schema.Struct({ ...ModelVersionRef.fields, weightsHash: Hash32 }),
  trainingShards: Schema.Array(TrainingShard),
  validation: ValidationSet,
  objective: Objective,
  training: TrainingPlan,
  criteria: Criteria,
  rewardSplit: RewardSplit,
  budget: NeuraAmount,
  /** The protocol parameters this task lives under (stake, checkpoints, commit window, slashing). */
  protocol: ProtocolParams,
  createdAt: Instant
})

export const ParticipantRole = Schema.Literals(["trainer", "validator"])
export type ParticipantRole = typeof ParticipantRole.Type

export const NodeJoinedTask = Schema.TaggedStruct("NodeJoinedTask", {
  taskId: TaskId,
  nodeId: NodeId,
  address: Address,
  role: ParticipantRole,
  capabilities: Schema.Array(Schema.String),
  /** Stake the node committed to this task (its weight in validator draws; what rulings can slash). */
  stake: NeuraAmount,
  joinedAt: Instant
})

export const RoundStarted = Schema.TaggedStruct("RoundStarted", {
  taskId: TaskId,
  round: PositiveInt,
  base: Schema.Struct({ ...ModelVersionRef.fields, weightsHash: Hash32 }),
  /** The most this round can pay out (its share of the escrow). */
  pot: NeuraAmount,
  /** Shards accepted into the task's training datasets since the last round: the task trains on them from now on. */
  addedShards: Schema.optional(Schema.Array(TrainingShard)),
  startedAt: Instant,
  deadline: Instant
})

/**
 * A unit of training work: a slot of the round, its shards and seed, and the
 * trainer it was routed to. If that trainer does not deliver, the same slot
 * can be dispatched again to another trainer (reassignment).
 */
export const Assignment = Schema.Struct({
  slot: NonNegativeInt,
  nodeId: NodeId,
  shardIds: Schema.Array(ShardId).pipe(Schema.check(Schema.isMinLength(1))),
  seed: NonNegativeInt
})
export type Assignment = typeof Assignment.Type

export const TrainingDispatched = Schema.TaggedStruct("TrainingDispatched", {
  taskId: TaskId,
  round: PositiveInt,
  assignments: Schema.Array(Assignment),
  dispatchedAt: Instant
})

/** One committed training state: the weights and the optimizer state, each by its content hash. */
export const CheckpointState = Schema.Struct({ weights: Hash32, optimizer: Hash32 })
export type CheckpointState = typeof CheckpointState.Type

/**
 * A contested result's trainer opens its audited segment: the state after
 * every step of it, each by content hash (uploaded). The first step where it
 * and a disagreeing judge's step list part is the one the jury replays.
 */
export const DisputeAnswered = Schema.TaggedStruct("DisputeAnswered", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  states: Schema.Array(CheckpointState).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(MAX_SEGMENT_STEPS))),
  answeredAt: Instant
})

/**
 * The trainer's commitment to its whole run: the state every `interval` steps
 * (state 0 is the base, the last one the submitted weights) and the Merkle
 * root of their leaves, sha256(weightsHash ":" optimizerHash). Validators
 * re-execute segments chosen after this commitment is recorded.
 */
export const CheckpointCommitment = Schema.Struct({
  interval: PositiveInt,
  states: Schema.Array(CheckpointState).pipe(Schema.check(Schema.isMinLength(2), Schema.isMaxLength(65))),
  root: Hash32
})
export type CheckpointCommitment = typeof CheckpointCommitment.Type

/** What a trainer claims and signs: enough for a validator to re-check it. */
export const TrainingProof = Schema.Struct({
  baseWeightsHash: Hash32,
  seed: NonNegativeInt,
  shardIds: Schema.Array(ShardId).pipe(Schema.check(Schema.isMinLength(1))),
  shardHashes: Schema.Array(Hash32),
  epochs: PositiveInt,
  steps: PositiveInt,
  sampleCount: PositiveInt,
  weightsHash: Hash32,
  metrics: Metrics,
  backend: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))),
  checkpoints: CheckpointCommitment
})
export type TrainingProof = typeof TrainingProof.Type

export const ResultSubmitted = Schema.TaggedStruct("ResultSubmitted", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  trainer: Address,
  proof: TrainingProof,
  submittedAt: Instant
})

/**
 * An assigned validator went silent (no heartbeat for the liveness timeout)
 * before voting: another validator takes its place on this result. The
 * replaced one may no longer vote on it.
 */
export const ValidatorReplaced = Schema.TaggedStruct("ValidatorReplaced", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  replaced: NodeId,
  replacement: NodeId,
  replacedAt: Instant
})

export const RoundClosed = Schema.TaggedStruct("RoundClosed", {
  taskId: TaskId,
  round: PositiveInt,
  verifiedResults: Schema.Array(ResultId),
  rejectedResults: Schema.Array(ResultId),
  /** The aggregated model version and its held-out metrics, when any result was verified. */
  newVersion: Schema.optional(ModelVersionRef),
  metrics: Schema.optional(Metrics),
  /** Votes a ruling proved wrong: they earn nothing (and were slashed). */
  disputedVotes: Schema.optional(Schema.Array(DisputedVote)),
  /** Judges that committed a vote but never revealed it: not paid. */
  unrevealed: Schema.optional(Schema.Array(Schema.Struct({ resultId: ResultId, nodeId: NodeId }))),
  paidOut: NeuraAmount,
  /** Trainer rewards held until their results are final (the challenge window). */
  held: Schema.optional(NeuraAmount),
  closedAt: Instant
})

export const TaskContinued = Schema.TaggedStruct("TaskContinued", {
  taskId: TaskId,
  round: PositiveInt,
  nextRound: PositiveInt,
  reason: Schema.String,
  continuedAt: Instant
})

export const TaskCompleted = Schema.TaggedStruct("TaskCompleted", {
  taskId: TaskId,
  round: PositiveInt,
  finalVersion: ModelVersionRef,
  metrics: Metrics,
  completedAt: Instant
})

export const TaskExhausted = Schema.TaggedStruct("TaskExhausted", {
  taskId: TaskId,
  round: NonNegativeInt,
  reason: Schema.Literals(["rounds", "budget"]),
  bestVersion: ModelVersionRef,
  metrics: Schema.optional(Metrics),
  exhaustedAt: Instant
})

export * from "./verificationEvents"

/** Everything stored in a task's stream: its lifecycle and its escrow ledger. */
export const TaskEvent = Schema.Union([
  TaskCreated,
  NodeJoinedTask,
  RoundStarted,
  TrainingDispatched,
  ResultSubmitted,
  VerificationRequested,
  ValidatorReplaced,
  VoteCommitted,
  VerificationVoted,
  DisputeAnswered,
  RulingCommitted,
  RulingRevealed,
  ResultVerified,
  ResultRejected,
  RoundClosed,
  TaskContinued,
  TaskCompleted,
  TaskExhausted,
  StakeSlashed,
  ResultChallenged,
  ChallengeResolved,
  ResultFinalized,
  RewardHeld,
  RewardForfeited,
  BudgetEscrowed,
  RewardAllocated,
  BudgetRefunded
])
export type TaskEvent = typeof TaskEvent.Type
