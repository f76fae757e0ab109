import { findPaged } from "../pagedList"
import { formatOf } from "./events"
import { HashMap, Option, Result } from "effect"
import type { ShardId } from "../primitives"
import type { DatasetCommand, RegisterDataset, ReviewDataSubmission, SubmitData } from "./commands"
import {
  DatasetAlreadyRegistered,
  DatasetNotFound,
  DatasetShardsInvalid,
  NotDatasetOwner,
  RejectionNeedsReason,
  SubmissionAlreadyExists,
  SubmissionAlreadyReviewed,
  SubmissionNotFound,
  type DatasetError
} from "./errors"
import type { DatasetEvent } from "./events"
import type { DatasetState } from "./state"

type Decision = Result.Result<ReadonlyArray<DatasetEvent>, DatasetError>

export const registerDataset = (command: RegisterDataset, state: DatasetState): Decision => {
  if (state.status === "registered") return Result.fail(new DatasetAlreadyRegistered({ datasetId: command.datasetId }))
  const ids = new Set(command.shards.map((s) => s.shardId))
  if (ids.size !== command.shards.length) return Result.fail(new DatasetShardsInvalid({ reason: "shard ids must be unique" }))
  const total = command.shards.reduce((n, s) => n + s.sampleCount, 0)
  if (command.shards.length > 0 && total !== command.sampleCount) {
    return Result.fail(new DatasetShardsInvalid({ reason: `shards hold ${total} samples, dataset declares ${command.sampleCount}` }))
  }
  return Result.succeed([
    {
      _tag: "DatasetRegistered",
      datasetId: command.datasetId,
      name: command.name,
      contentHash: command.contentHash,
      licence: command.licence,
      sampleCount: command.sampleCount,
      split: command.split,
      format: formatOf(command),
      ...(command.featureCount !== undefined ? { featureCount: command.featureCount } : {}),
      ...(command.classCount !== undefined ? { classCount: command.classCount } : {}),
      ...(command.recipe !== undefined ? { recipe: command.recipe } : {}),
      shards: command.shards.map((s) => ({ ...s, provider: command.actor })),
      registeredBy: command.actor,
      registeredAt: command.at
    }
  ])
}

export const submitData = (command: SubmitData, state: DatasetState): Decision => {
  if (state.status !== "registered") return Result.fail(new DatasetNotFound({ datasetId: command.datasetId }))
  if (HashMap.has(state.submissions, command.submissionId) || findPaged(state.shards, (s) => (s.shardId as string) === command.submissionId) !== undefined) {
    return Result.fail(new SubmissionAlreadyExists({ submissionId: command.submissionId }))
  }
  return Result.succeed([
    {
      _tag: "DataSubmitted",
      datasetId: command.datasetId,
      submissionId: command.submissionId,
      provider: command.actor,
      contentHash: command.contentHash,
      sampleCount: command.sampleCount,
      licence: command.licence,
      submittedAt: command.at
    }
  ])
}

export const reviewDataSubmission = (command: ReviewDataSubmission, state: DatasetState): Decision => {
  if (state.status !== "registered") return Result.fail(new DatasetNotFound({ datasetId: command.datasetId }))
  if (command.actor !== state.owner) return Result.fail(new NotDatasetOwner({ datasetId: command.datasetId, actor: command.actor }))
  const submission = Option.getOrUndefined(HashMap.get(state.submissions, command.submissionId))
  if (!submission) return Result.fail(new SubmissionNotFound({ submissionId: command.submissionId }))
  if (submission.status !== "pending") return Result.fail(new SubmissionAlreadyReviewed({ submissionId: command.submissionId }))
  if (command.decision === "reject") {
    if (!command.reason) return Result.fail(new RejectionNeedsReason({ submissionId: command.submissionId }))
    return Result.succeed([
      {
        _tag: "DataSubmissionRejected",
        datasetId: command.datasetId,
        submissionId: command.submissionId,
        reason: command.reason,
        rejectedBy: command.actor,
        rejectedAt: command.at
      }
    ])
  }
  return Result.succeed([
    {
      _tag: "DataSubmissionAccepted",
      datasetId: command.datasetId,
      submissionId: command.submissionId,
      shard: {
        shardId: command.submissionId as unknown as ShardId,
        contentHash: submission.contentHash,
        sampleCount: submission.sampleCount,
        provider: submission.provider
      },
      acceptedBy: command.actor,
      acceptedAt: command.at
    }
  ])
}

export const decide = (command: DatasetCommand, state: DatasetState): Decision => {
  switch (command._tag) {
    case "RegisterDataset":
      return registerDataset(command, state)
    case "SubmitData":
      return submitData(command, state)
    case "ReviewDataSubmission":
      return reviewDataSubmission(command, state)
    default: {
      const unhandled: never = command
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`)
    }
  }
}
