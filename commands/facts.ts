import { Effect, HashMap, Option, Schema } from "effect"
import { dataset, datasetStream } from "../domain/dataset"
import { DatasetNotFound } from "../domain/dataset/errors"
import type { DatasetEvent } from "../domain/dataset/events"
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
import { deciderFold, foldedStream, type StreamFold } from "./streamStates"
import type { DatasetState } from "../domain/dataset/state"
import { findVersion, type ModelState } from "../domain/model/state"
import type { NodeState } from "../domain/node/state"
import type { TaskState } from "../domain/task/state"
import { itemsPaged, lastPaged } from "../domain/pagedList"

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

// Each aggregate's state as the fact loaders keep it, folded on from the last call (streamStates.ts).
const nodeFold = deciderFold<NodeEvent, NodeState>("node", node)
const modelFold = deciderFold<ModelEvent, ModelState>("model", model)
const datasetFold = deciderFold<DatasetEvent, DatasetState>("dataset", dataset)
const taskFold = deciderFold<TaskEvent, TaskState>("task", task)
/** The hash of the log entry that recorded each result of a task (its validator draw's seed). */
const resultCommitHashes: StreamFold<HashMap.HashMap<string, Hash32>> = {
  name: "resultCommitHashes",
  initial: HashMap.empty(),
  evolve: (hashes, e) => (e.data._tag === "ResultSubmitted" && !HashMap.has(hashes, e.data.resultId) ? HashMap.set(hashes, e.data.resultId, e.hash) : hashes)
}

export const loadNodeFacts = Effect.fnUntraced(function* (nodeId: string) {
  const state = yield* foldedStream(nodeFold, nodeStream(nodeId))
  if (state.status !== "registered") return yield* Effect.fail(new NodeNotFound({ nodeId }))
  return {
    nodeId: state.nodeId,
    address: state.address,
    roles: state.roles,
    capabilities: state.capabilities
  } satisfies typeof NodeFacts.Type
})

export const loadModelState = Effect.fnUntraced(function* (modelId: string) {
  const state = yield* foldedStream(modelFold, modelStream(modelId))
  if (state.status === "none") return yield* Effect.fail(new ModelNotFound({ modelId }))
  return state
})

/** A version of a model (the latest when `version` is omitted). */
export const loadModelVersionFacts = Effect.fnUntraced(function* (modelId: string, version?: number) {
  const state = yield* loadModelState(modelId)
  const v = version === undefined ? lastPaged(state.versions) : findVersion(state.versions, version)
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
  const state = yield* foldedStream(datasetFold, datasetStream(datasetId))
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
  return yield* foldedStream(nodeFold, nodeStream(nodeId))
})

/** A task's state, "none" when it does not exist. */
export const loadTaskState = Effect.fnUntraced(function* (taskId: string) {
  return yield* foldedStream(taskFold, taskStream(taskId))
})

/** The hash of the log entry that recorded a result: the seed of its validator draw. */
export const loadResultCommitHash = Effect.fnUntraced(function* (taskId: string, resultId: string) {
  const recorded = HashMap.get(yield* foldedStream(resultCommitHashes, taskStream(taskId)), resultId)
  if (Option.isNone(recorded)) return yield* Effect.fail(new ResultNotFound({ resultId }))
  return recorded.value
})
