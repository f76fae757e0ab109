import { describe, expect, it } from "vitest"
import type { DatasetId, ModelId, ResultId, ShardId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import type { TaskEvent } from "../../../domain/task/events"
import { gainBps, meetsObjective, shortOfTarget } from "../../../domain/task/objective"
import { planRound } from "../../../nodes/dispatcher/plan"
import { fold } from "../../../domain/decider"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { hash32 } from "../../support/events"
import {
  allJoined,
  closeRound,
  commitVote,
  createTask,
  digitsWorkloadFacts,
  drawValidators,
  modelId,
  owner,
  rA,
  roundStarted,
  startRound,
  submitResult,
  taskCreated,
  vote
} from "../../support/fixtures"

/**
 * Tasks over workloads: the registry's facts decide what a task may name
 * (topology, metric, data format), the objective may be minimised
 * (perplexity), and data accepted after creation trains from the next round.
 */
const spec = deciderSpec(task)
const decided = applying(task)

describe("CreateTask against its workload", () => {
  it("records the workload and the direction of its objective's metric", () =>
    spec.given([]).when(createTask()).thenEvents((e) => expect(e[0]).toMatchObject({ workload: "digits", objective: { metric: "accuracy", direction: "maximize" } })))
  it("refuses a topology the workload cannot build, with the workload's reason", () =>
    spec
      .given([])
      .when(createTask({ workloadFacts: { ...digitsWorkloadFacts, topologyProblem: "the last layer must be Dense with 10 units" } }))
      .thenFails("TopologyInvalid"))
  it("refuses an objective on a metric the workload does not measure", () =>
    spec.given([]).when(createTask({ objective: { metric: "perplexity", target: 10 } })).thenFails("MetricNotOffered"))
  it("refuses datasets of another format than the workload reads", () =>
    spec
      .given([])
      .when(createTask({ trainingDatasets: [{ ...createTask().trainingDatasets[0]!, format: "text-utf8" }] }))
      .thenFails("DatasetFormatMismatch"))
  it("refuses workload facts for another workload than the one named", () =>
    spec.given([]).when(createTask({ workload: "moby-chars" })).thenFails("TaskConfigInvalid"))
})

describe("a minimised objective (perplexity)", () => {
  const objective = { metric: "perplexity", target: 13, direction: "minimize" as const }
  it("is met at or below the target, not above, and says so", () => {
    expect(meetsObjective({ perplexity: 12.9 }, objective)).toBe(true)
    expect(meetsObjective({ perplexity: 13 }, objective)).toBe(true)
    expect(meetsObjective({ perplexity: 13.1 }, objective)).toBe(false)
    expect(meetsObjective({ loss: 1 }, objective)).toBe(false)
    expect(shortOfTarget({ perplexity: 20 }, objective)).toBe("perplexity 20.0000 above target 13")
  })
  it("pays improvement as relative reduction; a maximised fraction as absolute gain; never negative", () => {
    expect(gainBps({ perplexity: 15 }, { perplexity: 20 }, objective)).toBe(2_500)
    expect(gainBps({ perplexity: 25 }, { perplexity: 20 }, objective)).toBe(0)
    expect(gainBps({ perplexity: 15 }, undefined, objective)).toBe(0)
    expect(gainBps({ accuracy: 0.9 }, { accuracy: 0.85 }, { metric: "accuracy", target: 0.95 })).toBe(500)
  })
  it("a task minimising perplexity completes when the new version's perplexity reaches the target", () => {
    const h = [...taskCreated(), ...allJoined(), roundStarted()].map((e): TaskEvent => (e._tag === "TaskCreated" ? { ...e, objective } : e))
    let g = decided(decided(h, submitResult("trainerA")), drawValidators(rA))
    for (const name of ["validator1", "validator2"] as const) g = decided(g, commitVote(name, rA, "accept"))
    for (const name of ["validator1", "validator2"] as const) g = decided(g, vote(name, rA, "accept", undefined, { resultId: rA as ResultId }))
    const v2 = (perplexity: number) => ({ ref: { modelId: modelId as ModelId, version: 2 }, metrics: { perplexity, loss: Math.log(perplexity) } })
    spec.given(g).when(closeRound({ newVersion: v2(14) })).thenEvents((e) => expect(e.find((x) => x._tag === "TaskContinued")).toMatchObject({ reason: "perplexity 14.0000 above target 13" }))
    spec.given(g).when(closeRound({ newVersion: v2(12.5) })).thenEvents((e) => expect(e.map((x) => x._tag)).toContain("TaskCompleted"))
  })
})

describe("data accepted after creation trains from the next round", () => {
  const created = createTask()
  const dataset = created.trainingDatasets[0]!
  const added = { shardId: "s3" as ShardId, contentHash: hash32(0x53), sampleCount: 500, provider: owner }
  const facts = (extra: ReadonlyArray<typeof added>) => [{ ...dataset, shards: [...dataset.shards, ...extra] }]
  it("a round started with a shard the task does not have yet records it, and the plan deals it", () => {
    const h = [...taskCreated(), ...allJoined()]
    spec.given(h).when(startRound(1, { trainingDatasets: facts([added]) })).thenEvents((e) => {
      expect(e[0]).toMatchObject({ _tag: "RoundStarted", addedShards: [{ datasetId: dataset.datasetId, ...added }] })
      const state = fold(task, [...h, ...e])
      if (state.status === "none") throw new Error("no task")
      expect(state.config.trainingShards.map((s) => s.shardId)).toEqual(["s1", "s2", "s3"])
      expect(planRound(state, 1).flatMap((a) => a.shardIds).sort()).toEqual(["s1", "s2", "s3"])
    })
  })
  it("adds nothing when the datasets hold no new shard, and ignores datasets the task does not train on", () => {
    const other = { ...dataset, datasetId: "other" as DatasetId, shards: [{ ...added, shardId: "x1" as ShardId }] }
    spec
      .given([...taskCreated(), ...allJoined()])
      .when(startRound(1, { trainingDatasets: [...facts([]), other] }))
      .thenEvents((e) => expect(e[0]).not.toHaveProperty("addedShards"))
  })
})
