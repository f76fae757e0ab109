import { Schema } from "effect"
import { Address, DatasetId, Hash32, Instant, MetricName, Metrics, ModelId, NeuraAmount, NodeId, PositiveInt, WorkloadId } from "../primitives"
import { DatasetFacts } from "../task/commands"
import { ScoredArtefact, StakedCandidate } from "./events"

const actorAndTime = { actor: Address, at: Instant }

export const RequestScoringPayload = Schema.Struct({
  modelId: ModelId,
  version: PositiveInt,
  /** A registered validation dataset in the workload's shard format. */
  datasetId: DatasetId,
  /** How many judges to draw (3 to 9; default 3); a majority of them must agree. */
  judges: Schema.optional(Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 3, maximum: 9 })))),
  /** The metric judges agree on; default the workload's primary metric. */
  metric: Schema.optional(MetricName),
  /** The workload that measures it, when its topology alone does not say (imports name theirs). */
  workload: Schema.optional(WorkloadId),
  /** Neura base units paid into the scoring's escrow for the judges (default 0). */
  fee: Schema.optional(NeuraAmount)
})

/** What the API found about the version to score and the workload that measures it. */
export const ScoringFacts = Schema.Struct({
  owner: Address,
  modelStatus: Schema.Literals(["registered", "published", "delisted"]),
  workload: WorkloadId,
  workloadMetrics: Schema.Array(MetricName),
  primaryMetric: MetricName,
  workloadFormat: Schema.String,
  /** What the judges would run, or why nothing can be run. */
  artefact: Schema.Union([ScoredArtefact, Schema.TaggedStruct("Unscoreable", { reason: Schema.String })]),
  dataset: DatasetFacts
})
export type ScoringFacts = typeof ScoringFacts.Type

export class RequestScoring extends Schema.TaggedClass<RequestScoring>()("RequestScoring", {
  ...RequestScoringPayload.fields,
  scoringId: Schema.String,
  facts: ScoringFacts,
  ...actorAndTime,
  /** With on-chain settlement: what the requester deposited into `scoring:<scoringId>` (recorded). Absent: fees are declared. */
  deposited: Schema.optional(NeuraAmount)
}) {}

export const DrawScoringJudgesPayload = Schema.Struct({ scoringId: Schema.String })
export class DrawScoringJudges extends Schema.TaggedClass<DrawScoringJudges>()("DrawScoringJudges", {
  ...DrawScoringJudgesPayload.fields,
  /** The hash of the log entry that recorded the request (loaded by the API; anyone can recompute it). */
  requestCommitHash: Hash32,
  /** Registered validators with their free bonded stake now. */
  candidates: Schema.Array(StakedCandidate),
  commitSeconds: PositiveInt,
  ...actorAndTime
}) {}

export const CommitScorePayload = Schema.Struct({ scoringId: Schema.String, nodeId: NodeId, commitment: Hash32 })
export class CommitScore extends Schema.TaggedClass<CommitScore>()("CommitScore", { ...CommitScorePayload.fields, ...actorAndTime }) {}

export const RevealScorePayload = Schema.Struct({ scoringId: Schema.String, nodeId: NodeId, metrics: Metrics, salt: Hash32 })
export class RevealScore extends Schema.TaggedClass<RevealScore>()("RevealScore", { ...RevealScorePayload.fields, ...actorAndTime }) {}

export const CloseScoringPayload = Schema.Struct({ scoringId: Schema.String })
export class CloseScoring extends Schema.TaggedClass<CloseScoring>()("CloseScoring", { ...CloseScoringPayload.fields, ...actorAndTime }) {}

export type ScoringCommand = RequestScoring | DrawScoringJudges | CommitScore | RevealScore | CloseScoring
