import { Schema } from "effect"
import { Address, DatasetId, Hash32, Instant, MetricName, Metrics, ModelId, NeuraAmount, NodeId, PositiveInt, WorkloadId } from "../primitives"
import { TensorSpec } from "../model/manifest"

/**
 * Scoring a model version by consensus (docs/protocol.md §8): judges drawn
 * by stake from a seed nobody chooses each measure the version on a held-out
 * dataset, commit a hash of their metrics, then reveal them; a majority that
 * agrees within the tolerance scores the version with their median.
 */

/**
 * What the judges run: the submitted ONNX file itself (in onnxruntime, named
 * inputs and outputs from its manifest), or the network's own Layers form
 * (topology + weights, in TF.js).
 */
export const ScoredArtefact = Schema.Union([
  Schema.TaggedStruct("Onnx", { artefactHash: Hash32, inputs: Schema.Array(TensorSpec), outputs: Schema.Array(TensorSpec) }),
  Schema.TaggedStruct("Layers", { topologyHash: Hash32, weightsHash: Hash32 })
])
export type ScoredArtefact = typeof ScoredArtefact.Type

export const ScoringRequested = Schema.TaggedStruct("ScoringRequested", {
  scoringId: Schema.String,
  modelId: ModelId,
  version: PositiveInt,
  /** The model's owner (never one of its judges). */
  owner: Address,
  workload: WorkloadId,
  /** The metric the judges must agree on (the workload's primary metric unless asked otherwise). */
  metric: MetricName,
  artefact: ScoredArtefact,
  validation: Schema.Struct({ datasetId: DatasetId, contentHash: Hash32 }),
  judges: PositiveInt,
  /** Largest difference from the median, on `metric`, that still counts as agreeing. */
  tolerance: Schema.Number,
  /** Paid by the requester into the scoring's escrow; shared by the agreeing judges, the rest refunded. */
  fee: NeuraAmount,
  requestedBy: Address,
  requestedAt: Instant
})

export const StakedCandidate = Schema.Struct({ nodeId: NodeId, address: Address, stake: NeuraAmount })

/** The draw, with everything needed to recompute it from the log: the seed and the candidates' stakes. */
export const ScoringJudgesDrawn = Schema.TaggedStruct("ScoringJudgesDrawn", {
  scoringId: Schema.String,
  /** The hash of the log entry that recorded ScoringRequested. */
  seed: Hash32,
  candidates: Schema.Array(StakedCandidate),
  judges: Schema.Array(NodeId),
  commitBy: Instant,
  revealBy: Instant,
  drawnAt: Instant
})

export const ScoreCommitted = Schema.TaggedStruct("ScoreCommitted", {
  scoringId: Schema.String,
  nodeId: NodeId,
  commitment: Hash32,
  committedAt: Instant
})

export const ScoreRevealed = Schema.TaggedStruct("ScoreRevealed", {
  scoringId: Schema.String,
  nodeId: NodeId,
  judge: Address,
  metrics: Metrics,
  salt: Hash32,
  revealedAt: Instant
})

/** The consensus: the agreeing judges' median of every metric they all report. */
export const ModelVersionScored = Schema.TaggedStruct("ModelVersionScored", {
  scoringId: Schema.String,
  modelId: ModelId,
  version: PositiveInt,
  validation: Schema.Struct({ datasetId: DatasetId, contentHash: Hash32 }),
  metrics: Metrics,
  agreeing: Schema.Array(NodeId),
  /** Revealed outside the tolerance: not paid, and counted against their reputation. */
  disagreeing: Schema.Array(NodeId),
  /** Drawn but never revealed: not paid, and counted against their reputation. */
  silent: Schema.Array(NodeId),
  scoredAt: Instant
})

/** No majority of the drawn judges agreed (or too few revealed): nothing is scored, the fee goes back. */
export const ScoringFailed = Schema.TaggedStruct("ScoringFailed", {
  scoringId: Schema.String,
  modelId: ModelId,
  version: PositiveInt,
  reason: Schema.String,
  disagreeing: Schema.Array(NodeId),
  silent: Schema.Array(NodeId),
  failedAt: Instant
})

export const ScoringFeePaid = Schema.TaggedStruct("ScoringFeePaid", {
  scoringId: Schema.String,
  nodeId: NodeId,
  recipient: Address,
  amount: NeuraAmount,
  paidAt: Instant
})

export const ScoringFeeRefunded = Schema.TaggedStruct("ScoringFeeRefunded", {
  scoringId: Schema.String,
  owner: Address,
  amount: NeuraAmount,
  refundedAt: Instant
})

export const ScoringEvent = Schema.Union([
  ScoringRequested,
  ScoringJudgesDrawn,
  ScoreCommitted,
  ScoreRevealed,
  ModelVersionScored,
  ScoringFailed,
  ScoringFeePaid,
  ScoringFeeRefunded
])
export type ScoringEvent = typeof ScoringEvent.Type
