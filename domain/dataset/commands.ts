import { Schema } from "effect"
import { Address, DatasetId, Hash32, Instant, NonNegativeInt, PositiveInt, ShardId, SubmissionId } from "../primitives"
import { DatasetFormat, DatasetSplit } from "./events"

export const RegisterDatasetPayload = Schema.Struct({
  datasetId: DatasetId,
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  contentHash: Hash32,
  licence: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(100))),
  sampleCount: NonNegativeInt,
  split: DatasetSplit,
  /** The shards' byte format, which a workload reads (GET /workloads); "digits-csv" when omitted. */
  format: Schema.optional(DatasetFormat),
  /** Descriptive: inputs per sample and classes, where the format has them. */
  featureCount: Schema.optional(PositiveInt),
  classCount: Schema.optional(PositiveInt),
  /** How generated data was made, reproducibly (e.g. the synthesis recipe of spoken-digits as JSON). */
  recipe: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(8000)))),
  /** The registrant is the provider of these shards. */
  shards: Schema.Array(Schema.Struct({ shardId: ShardId, contentHash: Hash32, sampleCount: PositiveInt }))
})
export class RegisterDataset extends Schema.TaggedClass<RegisterDataset>()("RegisterDataset", {
  ...RegisterDatasetPayload.fields,
  actor: Address,
  at: Instant
}) {}

export const SubmitDataPayload = Schema.Struct({
  datasetId: DatasetId,
  submissionId: SubmissionId,
  contentHash: Hash32,
  sampleCount: PositiveInt,
  licence: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(100)))
})
export class SubmitData extends Schema.TaggedClass<SubmitData>()("SubmitData", {
  ...SubmitDataPayload.fields,
  actor: Address,
  at: Instant
}) {}

export const ReviewDataSubmissionPayload = Schema.Struct({
  datasetId: DatasetId,
  submissionId: SubmissionId,
  decision: Schema.Literals(["accept", "reject"]),
  reason: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(500))))
})
export class ReviewDataSubmission extends Schema.TaggedClass<ReviewDataSubmission>()("ReviewDataSubmission", {
  ...ReviewDataSubmissionPayload.fields,
  actor: Address,
  at: Instant
}) {}

export type DatasetCommand = RegisterDataset | SubmitData | ReviewDataSubmission
