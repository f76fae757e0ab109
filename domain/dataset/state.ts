import { HashMap, Option } from "effect"
import { appendPaged, emptyPagedList, type PagedList } from "../pagedList"
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
      /** In order, kept in pages (pagedList.ts): each accepted submission adds one. */
      readonly shards: PagedList<Shard>
      /**
       * By submission id. A persistent map (structure shared between states): an
       * open dataset gains submissions without bound, and copying a plain Map per
       * event made the stream's fold quadratic (10,000 submissions: 10 s, measured).
       */
      readonly submissions: HashMap.HashMap<string, Submission>
    }

export const initialState: DatasetState = { status: "unregistered" }

const withSubmission = (state: DatasetState, id: string, f: (s: Submission | undefined) => Submission): DatasetState => {
  if (state.status !== "registered") return state
  return { ...state, submissions: HashMap.set(state.submissions, id, f(Option.getOrUndefined(HashMap.get(state.submissions, id)))) }
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
        shards: event.shards.reduce<PagedList<Shard>>(appendPaged, emptyPagedList),
        submissions: HashMap.empty()
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
        ? { ...next, shards: appendPaged(next.shards, event.shard), sampleCount: next.sampleCount + event.shard.sampleCount }
        : next
    }
    case "DataSubmissionRejected":
      return withSubmission(state, event.submissionId, (s) => ({ ...s!, status: "rejected" }))
  }
}
