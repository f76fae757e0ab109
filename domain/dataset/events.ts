import { Schema } from "effect"
import { Address, DatasetId, Hash32, Instant, matching, NonNegativeInt, PositiveInt, ShardId, SubmissionId } from "../primitives"

/** A content-addressed slice of a dataset: the unit the dispatcher hands to a trainer. */
export const Shard = Schema.Struct({
  shardId: ShardId,
  contentHash: Hash32,
  sampleCount: PositiveInt,
  /** Who is paid as data provider when the shard is used. */
  provider: Address
})
export type Shard = typeof Shard.Type

export const DatasetSplit = Schema.Literals(["training", "validation"])

/** A shard byte format's name (e.g. digits-csv, fashion-idx, labelled-text-jsonl, text-utf8). */
export const DatasetFormat = Schema.String.pipe(Schema.check(matching(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { description: "format name, e.g. text-utf8" }), Schema.isMaxLength(64)))

/** Datasets registered before formats existed hold UCI digits rows. */
export const formatOf = (d: { readonly format?: string | undefined }) => d.format ?? "digits-csv"

/** A public dataset is known to the network by the hash of its content. */
export const DatasetRegistered = Schema.TaggedStruct("DatasetRegistered", {
  datasetId: DatasetId,
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  contentHash: Hash32,
  licence: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  sampleCount: NonNegativeInt,
  split: DatasetSplit,
  format: Schema.optional(DatasetFormat),
  featureCount: Schema.optional(PositiveInt),
  classCount: Schema.optional(PositiveInt),
  /** How generated data was made, reproducibly (absent for collected data). */
  recipe: Schema.optional(Schema.String),
  shards: Schema.Array(Shard),
  registeredBy: Address,
  registeredAt: Instant
})

/** A data provider offers more samples for a dataset; the dataset owner reviews them. */
export const DataSubmitted = Schema.TaggedStruct("DataSubmitted", {
  datasetId: DatasetId,
  submissionId: SubmissionId,
  provider: Address,
  contentHash: Hash32,
  sampleCount: PositiveInt,
  licence: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  submittedAt: Instant
})

/** Accepted data becomes a shard of the dataset, paid to its provider when used. */
export const DataSubmissionAccepted = Schema.TaggedStruct("DataSubmissionAccepted", {
  datasetId: DatasetId,
  submissionId: SubmissionId,
  shard: Shard,
  acceptedBy: Address,
  acceptedAt: Instant
})

export const DataSubmissionRejected = Schema.TaggedStruct("DataSubmissionRejected", {
  datasetId: DatasetId,
  submissionId: SubmissionId,
  reason: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  rejectedBy: Address,
  rejectedAt: Instant
})

export const DatasetEvent = Schema.Union([DatasetRegistered, DataSubmitted, DataSubmissionAccepted, DataSubmissionRejected])
export type DatasetEvent = typeof DatasetEvent.Type
