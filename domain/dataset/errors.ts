import { Schema } from "effect"

export class DatasetAlreadyRegistered extends Schema.TaggedError<DatasetAlreadyRegistered>()("DatasetAlreadyRegistered", {
  datasetId: Schema.String
}) {}
export class DatasetNotFound extends Schema.TaggedError<DatasetNotFound>()("DatasetNotFound", { datasetId: Schema.String }) {}
export class DatasetShardsInvalid extends Schema.TaggedError<DatasetShardsInvalid>()("DatasetShardsInvalid", {
  reason: Schema.String
}) {}
export class SubmissionAlreadyExists extends Schema.TaggedError<SubmissionAlreadyExists>()("SubmissionAlreadyExists", {
  submissionId: Schema.String
}) {}
export class SubmissionNotFound extends Schema.TaggedError<SubmissionNotFound>()("SubmissionNotFound", {
  submissionId: Schema.String
}) {}
export class SubmissionAlreadyReviewed extends Schema.TaggedError<SubmissionAlreadyReviewed>()("SubmissionAlreadyReviewed", {
  submissionId: Schema.String
}) {}
export class NotDatasetOwner extends Schema.TaggedError<NotDatasetOwner>()("NotDatasetOwner", {
  datasetId: Schema.String,
  actor: Schema.String
}) {}
export class RejectionNeedsReason extends Schema.TaggedError<RejectionNeedsReason>()("RejectionNeedsReason", {
  submissionId: Schema.String
}) {}

export type DatasetError =
  | DatasetAlreadyRegistered
  | DatasetNotFound
  | DatasetShardsInvalid
  | SubmissionAlreadyExists
  | SubmissionNotFound
  | SubmissionAlreadyReviewed
  | NotDatasetOwner
  | RejectionNeedsReason
