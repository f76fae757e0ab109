import { Effect, Schema } from "effect"
import { dataset, datasetStream } from "../domain/dataset"
import { DatasetNotFound } from "../domain/dataset/errors"
import type { DatasetEvent } from "../domain/dataset/events"
import { fold } from "../domain/decider"
import { model, modelStream } from "../domain/model"
import { ModelNotFound, ModelVersionNotFound } from "../domain/model/errors"
import type { ModelEvent } from "../domain/model/events"
import { node, nodeStream } from "../domain/node"
import type { NodeEvent } from "../domain/node/events"
import type { Hash32 } from "../domain/primitives"
import { canonicalJson } from "../infra/canonicalJson"
import { keccak256Hex } from "../infra/keccak"
import { task, taskStream } from "../domain/task"
import type { DatasetFacts, ModelVersionFacts, NodeFacts } from "../domain/task/commands"
import { ResultNotFound } from "../domain/task/errors"
import type { TaskEvent } from "../domain/task/events"
import { history } from "./streamHistories"
import { findPaged, itemsPaged, lastPaged } from "../domain/pagedList"

/**
 * Facts about other aggregates that a decision needs (is the node
 * registered, what are the dataset's shards, what is the model's latest
 * version). Read from their streams and folded with their own deciders: the
 * log stays the only source of truth.
 */
export class NodeNotFound extends Schema.TaggedError<NodeNotFound>()("NodeNotFound", { nodeId: Schema.String }) {}

/** keccak256 of a topology's canonical JSON: what a registration records (RegisterModel, ImportModel). */
export const topologyHash = (topology: unknown) => keccak256Hex(canonicalJson(topology)) as Hash32

export { history } from "./streamHistories"

export const loadNodeFacts = Effect.fnUntraced(function* (nodeId: string) {
  const state = fold(node, (yield* history(nodeStream(nodeId))).map((e) => e.data as NodeEvent))
  if (state.status !== "registered") return yield* Effect.fail(new NodeNotFound({ nodeId }))
  return {
    nodeId: state.nodeId,
    address: state.address,
    roles: state.roles,
    capabilities: state.capabilities
  } satisfies typeof NodeFacts.Type
})

export const loadModelState = Effect.fnUntraced(function* (modelId: string) {
  const state = fold(model, (yield* history(modelStream(modelId))).map((e) => e.data as ModelEvent))
  if (state.status === "none") return yield* Effect.fail(new ModelNotFound({ modelId }))
  return state
})

/** A version of a model (the latest when `version` is omitted). */
export const loadModelVersionFacts = Effect.fnUntraced(function* (modelId: string, version?: number) {
  const state = yield* loadModelState(modelId)
  const v = version === undefined ? lastPaged(state.versions) : findPaged(state.versions, (x) => x.version === version)
  if (!v) return yield* Effect.fail(new ModelVersionNotFound({ modelId, version: version ?? 0 }))
  return {
    modelId: state.modelId,
    version: v.version,
    weightsHash: v.weightsHash,
    owner: state.owner,
    status: state.status
  } satisfies typeof ModelVersionFacts.Type
})

export const loadDatasetFacts = Effect.fnUntraced(function* (datasetId: string) {
  const state = fold(dataset, (yield* history(datasetStream(datasetId))).map((e) => e.data as DatasetEvent))
  if (state.status !== "registered") return yield* Effect.fail(new DatasetNotFound({ datasetId }))
  return {
    datasetId: state.datasetId,
    split: state.split,
    format: state.format,
    contentHash: state.contentHash,
    sampleCount: state.sampleCount,
    shards: itemsPaged(state.shards)
  } satisfies typeof DatasetFacts.Type
})

/** A node's state (its stake included), unregistered when it does not exist. */
export const loadNodeState = Effect.fnUntraced(function* (nodeId: string) {
  return fold(node, (yield* history(nodeStream(nodeId))).map((e) => e.data as NodeEvent))
})

/** A task's state, "none" when it does not exist. */
export const loadTaskState = Effect.fnUntraced(function* (taskId: string) {
  return fold(task, (yield* history(taskStream(taskId))).map((e) => e.data as TaskEvent))
})

/** The hash of the log entry that recorded a result: the seed of its validator draw. */
export const loadResultCommitHash = Effect.fnUntraced(function* (taskId: string, resultId: string) {
  const recorded = (yield* history(taskStream(taskId))).find((e) => e.data._tag === "ResultSubmitted" && (e.data as { resultId: string }).resultId === resultId)
  if (!recorded) return yield* Effect.fail(new ResultNotFound({ resultId }))
  return recorded.hash
})
