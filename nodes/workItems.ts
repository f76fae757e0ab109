import { Schema } from "effect"
import { Hash32, JsonObject, MetricName, ModelId, NodeId, NonNegativeInt, PositiveInt, ResultId, ShardId, TaskId, WorkloadId } from "../domain/primitives"
import { Audit, CheckpointState, TrainingPlan, TrainingProof } from "../domain/task/events"
import { ScoredArtefact } from "../domain/scoring/events"

/**
 * What the dispatcher puts on the CMDS work queue, addressed to one node:
 * `cmd.<train|verify|answer|jury|score>.<capability>.<nodeId>`.
 * Everything a node needs is in the message (topology, hashes, plan), and
 * every byte it loads is checked against a hash in it.
 */
/** A shard named by id and content hash: the node checks its local bytes against the hash. */
const ShardRef = Schema.Struct({ shardId: ShardId, contentHash: Hash32 })

/** The shards a proof names, as the references a node checks its local bytes against. */
export const shardRefsOf = (proof: TrainingProof) => proof.shardIds.map((shardId, i) => ({ shardId, contentHash: proof.shardHashes[i]! }))

export const TrainWork = Schema.TaggedStruct("TrainWork", {
  taskId: TaskId,
  round: PositiveInt,
  slot: NonNegativeInt,
  nodeId: NodeId,
  modelId: ModelId,
  /** The workload that builds, trains and measures the model (workloads/registry.ts). */
  workload: WorkloadId,
  topology: JsonObject,
  baseWeightsHash: Hash32,
  shards: Schema.Array(ShardRef),
  seed: NonNegativeInt,
  plan: TrainingPlan,
  validationHash: Hash32,
  /** How many checkpoints the protocol asks the trainer to commit. */
  checkpoints: PositiveInt,
  deadline: Schema.String,
  /**
   * Routed before its round exists: the coordinator expects the round being
   * verified to be accepted whole, and this is the next round's work from
   * the aggregate that would make. The trainer trains and uploads it but
   * submits nothing; when the round is dispatched with this very work, the
   * training is ready (a different base misses and is trained anew).
   */
  speculative: Schema.optional(Schema.Boolean)
})
export type TrainWork = typeof TrainWork.Type

/**
 * Judge a result: re-execute its audited segment and evaluate its weights.
 * Sent twice: to commit the hidden vote, then (once reveals are open) to
 * reveal it; the node computes the same vote both times.
 */
export const VerifyWork = Schema.TaggedStruct("VerifyWork", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  trainerNodeId: NodeId,
  phase: Schema.Literals(["commit", "reveal"]),
  workload: WorkloadId,
  topology: JsonObject,
  proof: TrainingProof,
  audit: Audit,
  shards: Schema.Array(ShardRef),
  plan: TrainingPlan,
  validationHash: Hash32,
  /** The objective's metric: the claim a judge checks against its own measurement, within metricTolerance. */
  metric: MetricName,
  metricTolerance: Schema.Number
})
export type VerifyWork = typeof VerifyWork.Type

/** What replaying steps of a submitted run needs (nodes/infra/replay.ts): its proof, the model it trains and the plan. */
const runFields = { workload: WorkloadId, topology: JsonObject, proof: TrainingProof, plan: TrainingPlan }
export const RunToReplay = Schema.Struct(runFields)
export type RunToReplay = typeof RunToReplay.Type

/**
 * Open the audited segment of a contested result (its trainer's job): replay
 * it from the committed start, upload the state after every step and answer
 * the dispute with their hashes (domain/task/bisection.ts).
 */
export const AnswerWork = Schema.TaggedStruct("AnswerWork", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  /** The trainer's node. */
  nodeId: NodeId,
  ...runFields,
  audit: Audit
})
export type AnswerWork = typeof AnswerWork.Type

/**
 * Sit on the jury of a bisected dispute (a staked validator's job): replay
 * each disputed step from the state before it that both sides agree on,
 * then commit, then (once reveals are open) reveal the leaves.
 */
export const JuryWork = Schema.TaggedStruct("JuryWork", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  /** The juror's node. */
  nodeId: NodeId,
  phase: Schema.Literals(["commit", "reveal"]),
  ...runFields,
  steps: Schema.Array(Schema.Struct({ step: PositiveInt, start: CheckpointState }))
})
export type JuryWork = typeof JuryWork.Type

/**
 * Score a model version for a scoring it was drawn to judge: measure it on
 * the validation set (onnxruntime for an ONNX artefact, TF.js for Layers),
 * then commit, then (once reveals are open) reveal the same metrics.
 */
export const ScoreWork = Schema.TaggedStruct("ScoreWork", {
  scoringId: Schema.String,
  nodeId: NodeId,
  phase: Schema.Literals(["commit", "reveal"]),
  workload: WorkloadId,
  artefact: ScoredArtefact,
  /** The Layers topology (for an ONNX artefact: the model's registered interface). */
  topology: JsonObject,
  validationHash: Hash32
})
export type ScoreWork = typeof ScoreWork.Type

export const WorkItem = Schema.Union([TrainWork, VerifyWork, AnswerWork, JuryWork, ScoreWork])
export type WorkItem = typeof WorkItem.Type

export const workSubject = (kind: "train" | "verify" | "answer" | "jury" | "score", capability: string, nodeId: string, prefix = "cmd") => `${prefix}.${kind}.${capability}.${nodeId}`
export const nodeConsumerName = (nodeId: string) => `node-${nodeId}`
