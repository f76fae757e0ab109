import { dataset, datasetStream } from "../../domain/dataset"
import {
  RegisterDataset,
  RegisterDatasetPayload,
  ReviewDataSubmission,
  ReviewDataSubmissionPayload,
  SubmitData,
  SubmitDataPayload
} from "../../domain/dataset/commands"
import { commandSpec } from "../commandSpec"
import { handleCommand } from "../handleCommand"

export const datasetCommands = [
  commandSpec({
    type: "RegisterDataset",
    aggregate: "dataset",
    summary: "Register a public dataset by content hash and licence, with its shards.",
    payload: RegisterDatasetPayload,
    handle: (p, ctx) => handleCommand(dataset, datasetStream(p.datasetId), new RegisterDataset({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "SubmitData",
    aggregate: "dataset",
    summary: "Offer more data for a dataset (content-hashed and licensed); the dataset owner reviews it.",
    payload: SubmitDataPayload,
    handle: (p, ctx) => handleCommand(dataset, datasetStream(p.datasetId), new SubmitData({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "ReviewDataSubmission",
    aggregate: "dataset",
    summary: "Accept (it becomes a shard paid to its provider) or reject a data submission.",
    payload: ReviewDataSubmissionPayload,
    handle: (p, ctx) =>
      handleCommand(dataset, datasetStream(p.datasetId), new ReviewDataSubmission({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  })
]
