import { Schema } from "effect"

const S = Schema.String
export class TaskAlreadyExists extends Schema.TaggedError<TaskAlreadyExists>()("TaskAlreadyExists", { taskId: S }) {}
export class TaskNotFound extends Schema.TaggedError<TaskNotFound>()("TaskNotFound", { taskId: S }) {}
export class TaskClosed extends Schema.TaggedError<TaskClosed>()("TaskClosed", { taskId: S, taskStatus: S }) {}
export class TaskConfigInvalid extends Schema.TaggedError<TaskConfigInvalid>()("TaskConfigInvalid", { reason: S }) {}
export class NotTaskOwner extends Schema.TaggedError<NotTaskOwner>()("NotTaskOwner", { taskId: S, actor: S }) {}
export class NotModelOwner extends Schema.TaggedError<NotModelOwner>()("NotModelOwner", { modelId: S, actor: S }) {}
export class ModelNotUsable extends Schema.TaggedError<ModelNotUsable>()("ModelNotUsable", { modelId: S, reason: S }) {}
export class NotNodeKey extends Schema.TaggedError<NotNodeKey>()("NotNodeKey", { nodeId: S, actor: S }) {}
export class NodeLacksRole extends Schema.TaggedError<NodeLacksRole>()("NodeLacksRole", { nodeId: S, role: S }) {}
export class AlreadyJoined extends Schema.TaggedError<AlreadyJoined>()("AlreadyJoined", { nodeId: S }) {}
export class NotParticipant extends Schema.TaggedError<NotParticipant>()("NotParticipant", { nodeId: S, role: S }) {}
export class RoundNotRunning extends Schema.TaggedError<RoundNotRunning>()("RoundNotRunning", { taskId: S, round: Schema.Number }) {}
export class RoundAlreadyRunning extends Schema.TaggedError<RoundAlreadyRunning>()("RoundAlreadyRunning", { round: Schema.Number }) {}
export class WrongRound extends Schema.TaggedError<WrongRound>()("WrongRound", { expected: Schema.Number, got: Schema.Number }) {}
export class RoundLimitReached extends Schema.TaggedError<RoundLimitReached>()("RoundLimitReached", { maxRounds: Schema.Number }) {}
export class NotEnoughParticipants extends Schema.TaggedError<NotEnoughParticipants>()("NotEnoughParticipants", {
  role: S,
  needed: Schema.Number,
  have: Schema.Number
}) {}
export class RoundDeadlinePassed extends Schema.TaggedError<RoundDeadlinePassed>()("RoundDeadlinePassed", { deadline: S }) {}
export class RoundStillOpen extends Schema.TaggedError<RoundStillOpen>()("RoundStillOpen", { pending: Schema.Number, deadline: S }) {}
export class UnknownShard extends Schema.TaggedError<UnknownShard>()("UnknownShard", { shardId: S }) {}
export class ProofMismatch extends Schema.TaggedError<ProofMismatch>()("ProofMismatch", { reason: S }) {}
export class ResultAlreadySubmitted extends Schema.TaggedError<ResultAlreadySubmitted>()("ResultAlreadySubmitted", {
  resultId: S
}) {}
export class ResultNotFound extends Schema.TaggedError<ResultNotFound>()("ResultNotFound", { resultId: S }) {}
export class NotAssignedValidator extends Schema.TaggedError<NotAssignedValidator>()("NotAssignedValidator", {
  resultId: S,
  nodeId: S
}) {}
export class AlreadyVoted extends Schema.TaggedError<AlreadyVoted>()("AlreadyVoted", { resultId: S, nodeId: S }) {}
export class ValidatorNotReplaceable extends Schema.TaggedError<ValidatorNotReplaceable>()("ValidatorNotReplaceable", {
  resultId: S,
  nodeId: S,
  reason: S
}) {}
/** A result's id is derived from its unit of work (see `resultIdFor`): a trainer cannot choose it. */
export class ResultIdNotDerived extends Schema.TaggedError<ResultIdNotDerived>()("ResultIdNotDerived", { resultId: S, expected: S }) {}
export class ValidatorsAlreadyDrawn extends Schema.TaggedError<ValidatorsAlreadyDrawn>()("ValidatorsAlreadyDrawn", { resultId: S }) {}
export class VoteNotCommitted extends Schema.TaggedError<VoteNotCommitted>()("VoteNotCommitted", { resultId: S, nodeId: S }) {}
export class VoteAlreadyCommitted extends Schema.TaggedError<VoteAlreadyCommitted>()("VoteAlreadyCommitted", { resultId: S, nodeId: S }) {}
export class CommitWindowClosed extends Schema.TaggedError<CommitWindowClosed>()("CommitWindowClosed", { resultId: S, nodeId: S }) {}
export class RevealNotOpen extends Schema.TaggedError<RevealNotOpen>()("RevealNotOpen", { resultId: S, opensAt: S, waitingFor: Schema.Number }) {}
export class CommitmentMismatch extends Schema.TaggedError<CommitmentMismatch>()("CommitmentMismatch", { resultId: S, nodeId: S }) {}
export class VoteInconsistent extends Schema.TaggedError<VoteInconsistent>()("VoteInconsistent", { resultId: S, reason: S }) {}
/** An answer to a dispute that cannot be taken now: the result is not contested, or already answered. */
export class NotDisputed extends Schema.TaggedError<NotDisputed>()("NotDisputed", { resultId: S, reason: S }) {}
/** An answer that does not open the audited segment: wrong number of steps, or not ending in the committed state. */
export class DisputeAnswerInvalid extends Schema.TaggedError<DisputeAnswerInvalid>()("DisputeAnswerInvalid", { resultId: S, reason: S }) {}
export class NotChallengeable extends Schema.TaggedError<NotChallengeable>()("NotChallengeable", { resultId: S, reason: S }) {}
export class NotFinalYet extends Schema.TaggedError<NotFinalYet>()("NotFinalYet", { resultId: S, reason: S }) {}
/** The base model's topology is not one the task's workload can build. */
export class TopologyInvalid extends Schema.TaggedError<TopologyInvalid>()("TopologyInvalid", { workload: S, reason: S }) {}
/** The objective names a metric the task's workload does not measure. */
export class MetricNotOffered extends Schema.TaggedError<MetricNotOffered>()("MetricNotOffered", { workload: S, metric: S, offered: S }) {}
/** A dataset's shards are in another format than the workload reads. */
export class DatasetFormatMismatch extends Schema.TaggedError<DatasetFormatMismatch>()("DatasetFormatMismatch", {
  datasetId: S,
  format: S,
  expected: S
}) {}
export class NewVersionRequired extends Schema.TaggedError<NewVersionRequired>()("NewVersionRequired", { reason: S }) {}

export type TaskError =
  | TaskAlreadyExists
  | TaskNotFound
  | TaskClosed
  | TaskConfigInvalid
  | NotTaskOwner
  | NotModelOwner
  | ModelNotUsable
  | NotNodeKey
  | NodeLacksRole
  | AlreadyJoined
  | NotParticipant
  | RoundNotRunning
  | RoundAlreadyRunning
  | WrongRound
  | RoundLimitReached
  | NotEnoughParticipants
  | RoundDeadlinePassed
  | RoundStillOpen
  | UnknownShard
  | ProofMismatch
  | ResultAlreadySubmitted
  | ResultNotFound
  | NotAssignedValidator
  | AlreadyVoted
  | ValidatorNotReplaceable
  | NewVersionRequired
  | TopologyInvalid
  | MetricNotOffered
  | DatasetFormatMismatch
  | ResultIdNotDerived
  | ValidatorsAlreadyDrawn
  | VoteNotCommitted
  | VoteAlreadyCommitted
  | RevealNotOpen
  | CommitWindowClosed
  | NotChallengeable
  | NotFinalYet
  | CommitmentMismatch
  | VoteInconsistent
  | NotDisputed
  | DisputeAnswerInvalid
  | import("../ledger/ledger").EscrowExceeded
  | import("../node/errors").StakeTooLow
  | import("../escrow/errors").NotDeposited
