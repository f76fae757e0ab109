import { describe, expect, it } from "vitest"
import { dataset } from "../../../domain/dataset"
import { ReviewDataSubmission, SubmitData } from "../../../domain/dataset/commands"
import type { DatasetId, ShardId, SubmissionId } from "../../../domain/primitives"
import type { DatasetEvent } from "../../../domain/dataset/events"
import { itemsPaged, lastPaged, PAGE_SIZE, sizePaged } from "../../../domain/pagedList"
import { deciderSpec } from "../../support/deciderSpec"
import { address, hash32 } from "../../support/events"
import { T0, datasetRegisteredEvent, owner, registerDataset, stranger } from "../../support/fixtures"

const spec = deciderSpec(dataset)
const provider = address(0xd1)
const submit = (overrides: Partial<ConstructorParameters<typeof SubmitData>[0]> = {}) =>
  new SubmitData({
    datasetId: "digits-train" as DatasetId,
    submissionId: "sub1" as SubmissionId,
    contentHash: hash32(0x70),
    sampleCount: 300,
    licence: "CC-BY-4.0",
    actor: provider,
    at: T0,
    ...overrides
  })
const submitted = {
  _tag: "DataSubmitted" as const,
  datasetId: "digits-train" as DatasetId,
  submissionId: "sub1" as SubmissionId,
  provider,
  contentHash: hash32(0x70),
  sampleCount: 300,
  licence: "CC-BY-4.0",
  submittedAt: T0
}
const review = (decision: "accept" | "reject", overrides: Partial<ConstructorParameters<typeof ReviewDataSubmission>[0]> = {}) =>
  new ReviewDataSubmission({ datasetId: "digits-train" as DatasetId, submissionId: "sub1" as SubmissionId, decision, actor: owner, at: T0, ...overrides })

describe("Dataset: RegisterDataset", () => {
  it("registers a dataset by content hash, the registrant providing its shards", () =>
    spec.given([]).when(registerDataset()).then([datasetRegisteredEvent()]))
  it("refuses a second registration", () => spec.given([datasetRegisteredEvent()]).when(registerDataset()).thenFails("DatasetAlreadyRegistered"))
  it("refuses shards that do not add up to the declared sample count", () =>
    spec.given([]).when(registerDataset({ sampleCount: 1999 })).thenFails("DatasetShardsInvalid"))
  it("refuses duplicate shard ids", () =>
    spec
      .given([])
      .when(
        registerDataset({
          shards: [
            { shardId: "s1" as ShardId, contentHash: hash32(1), sampleCount: 1000 },
            { shardId: "s1" as ShardId, contentHash: hash32(2), sampleCount: 1000 }
          ]
        })
      )
      .thenFails("DatasetShardsInvalid"))
})

describe("Dataset: SubmitData", () => {
  it("records a provider's submission", () => spec.given([datasetRegisteredEvent()]).when(submit()).then([submitted]))
  it("needs the dataset", () => spec.given([]).when(submit()).thenFails("DatasetNotFound"))
  it("refuses a reused submission id", () => spec.given([datasetRegisteredEvent(), submitted]).when(submit()).thenFails("SubmissionAlreadyExists"))
})

describe("Dataset: ReviewDataSubmission", () => {
  it("accepting turns the submission into a shard paid to its provider", () =>
    spec
      .given([datasetRegisteredEvent(), submitted])
      .when(review("accept"))
      .then([
        {
          _tag: "DataSubmissionAccepted",
          datasetId: "digits-train" as DatasetId,
          submissionId: "sub1" as SubmissionId,
          shard: { shardId: "sub1" as ShardId, contentHash: hash32(0x70), sampleCount: 300, provider },
          acceptedBy: owner,
          acceptedAt: T0
        }
      ]))
  it("accepted shards join the dataset state", () => {
    const events = [datasetRegisteredEvent(), submitted]
    const accepted = spec.given(events).when(review("accept")).thenEvents(() => undefined)
    const state = [...events, ...accepted].reduce(dataset.evolve, dataset.initialState)
    expect(state.status === "registered" && itemsPaged(state.shards).map((s) => s.shardId)).toEqual(["s1", "s2", "sub1"])
    expect(state.status === "registered" && state.sampleCount).toBe(2300)
  })
  it("a dataset open to many submissions (kept in a persistent map and pages) still refuses a repeated id and reviews each once", () => {
    const many = 2 * PAGE_SIZE + 1
    const history: Array<DatasetEvent> = [datasetRegisteredEvent()]
    for (let i = 0; i < many; i++) {
      const submissionId = `m${i}` as SubmissionId
      history.push({ ...submitted, submissionId } as DatasetEvent)
      if (i % 2 === 0) history.push({ _tag: "DataSubmissionAccepted", datasetId: submitted.datasetId, submissionId, shard: { shardId: submissionId as unknown as ShardId, contentHash: hash32(i + 1), sampleCount: 1, provider }, acceptedBy: owner, acceptedAt: T0 } as DatasetEvent)
    }
    // Accepted (a shard now) and pending alike are taken; a fresh id is not.
    spec.given(history).when(submit({ submissionId: "m0" as SubmissionId })).thenFails("SubmissionAlreadyExists")
    spec.given(history).when(submit({ submissionId: `m${many - 2}` as SubmissionId })).thenFails("SubmissionAlreadyExists")
    spec.given(history).when(submit({ submissionId: "fresh" as SubmissionId })).thenEvents((events) => expect(events[0]).toMatchObject({ _tag: "DataSubmitted", submissionId: "fresh" }))
    spec.given(history).when(review("accept", { submissionId: "m2" as SubmissionId })).thenFails("SubmissionAlreadyReviewed")
    spec.given(history).when(review("accept", { submissionId: `m${many - 1}` as SubmissionId })).thenFails("SubmissionAlreadyReviewed")
    spec.given(history).when(review("accept", { submissionId: "m1" as SubmissionId })).thenEvents((events) => expect(events[0]).toMatchObject({ _tag: "DataSubmissionAccepted", submissionId: "m1" }))
    const state = history.reduce(dataset.evolve, dataset.initialState)
    const accepted = Math.ceil(many / 2)
    expect(state.status === "registered" && [sizePaged(state.shards), lastPaged(state.shards)?.shardId, state.sampleCount]).toEqual([accepted + 2, `m${many - 1}`, 2000 + accepted])
  })
  it("rejecting needs a reason", () => spec.given([datasetRegisteredEvent(), submitted]).when(review("reject")).thenFails("RejectionNeedsReason"))
  it("rejects with a reason", () =>
    spec
      .given([datasetRegisteredEvent(), submitted])
      .when(review("reject", { reason: "duplicates existing samples" }))
      .then([
        {
          _tag: "DataSubmissionRejected",
          datasetId: "digits-train" as DatasetId,
          submissionId: "sub1" as SubmissionId,
          reason: "duplicates existing samples",
          rejectedBy: owner,
          rejectedAt: T0
        }
      ]))
  it("only the dataset owner reviews", () =>
    spec.given([datasetRegisteredEvent(), submitted]).when(review("accept", { actor: stranger })).thenFails("NotDatasetOwner"))
  it("a submission is reviewed once", () => {
    const accepted = spec.given([datasetRegisteredEvent(), submitted]).when(review("accept")).thenEvents(() => undefined)
    spec.given([datasetRegisteredEvent(), submitted, ...accepted]).when(review("reject", { reason: "x" })).thenFails("SubmissionAlreadyReviewed")
  })
  it("unknown submissions are not found", () => spec.given([datasetRegisteredEvent()]).when(review("accept")).thenFails("SubmissionNotFound"))
})
