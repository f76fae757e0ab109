import { formatOf } from "./events"
import type { Address, DatasetId, Hash32 } from "../primitives"
import type { DatasetEvent, Shard } from "./events"

export interface Submission {
  readonly provider: Address
  readonly contentHash: Hash32
  readonly sampleCount: number
  readonly status: "pending" | "accepted" | "rejected"
}

export type DatasetState =
  | { readonly status: "unregistered" }
  | {
      readonly status: "registered"
      readonly datasetId: DatasetId
      readonly owner: Address
      readonly split: "training" | "validation"
      readonly contentHash: Hash32
      readonly sampleCount: number
      readonly format: string
      readonly featureCount: number | undefined
      readonly classCount: number | undefined
      readonly shards: ReadonlyArray<Shard>
      readonly submissions: ReadonlyMap<string, Submission>
    }

export const initialState: DatasetState = { status: "unregistered" }

const withSubmission = (state: DatasetState, id: string, f: (s: Submission | undefined) => Submission): DatasetState => {
  if (state.status !== "registered") return state
  const submissions = new Map(state.submissions)
  submissions.set(id, f(submissions.get(id)))
  return { ...state, submissions }
}

export const evolve = (state: DatasetState, event: DatasetEvent): DatasetState => {
  switch (event._tag) {
    case "DatasetRegistered":
      return {
        status: "registered",
        datasetId: event.datasetId,
        owner: event.registeredBy,
        split: event.split,
        contentHash: event.contentHash,
        sampleCount: event.sampleCount,
        format: formatOf(event),
        featureCount: event.featureCount,
        classCount: event.classCount,
        shards: event.shards,
        submissions: new Map()
      }
    case "DataSubmitted":
      return withSubmission(state, event.submissionId, () => ({
        provider: event.provider,
        contentHash: event.contentHash,
        sampleCount: event.sampleCount,
        status: "pending"
      }))
    case "DataSubmissionAccepted": {
      const next = withSubmission(state, event.submissionId, (s) => ({ ...s!, status: "accepted" }))
      return next.status === "registered"
        ? { ...next, shards: [...next.shards, event.shard], sampleCount: next.sampleCount + event.shard.sampleCount }
        : next
    }
    case "DataSubmissionRejected":
      return withSubmission(state, event.submissionId, (s) => ({ ...s!, status: "rejected" }))
  }
}
