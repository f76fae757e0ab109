import { Effect } from "effect"
import { ModelVersionNotFound } from "../domain/model/errors"
import { opaqueOf } from "../domain/model/manifest"
import { node } from "../domain/node"
import type { NodeEvent } from "../domain/node/events"
import type { NodeState } from "../domain/node/state"
import type { ScoringFacts } from "../domain/scoring/commands"
import type { StakedCandidate } from "../domain/scoring/events"
import { ScoringNotFound } from "../domain/scoring/errors"
import { scoringStream } from "../domain/scoring"
import { workloads } from "../workloads/registry"
import type { Workload } from "../workloads/workload"
import { UnknownWorkload } from "./apiErrors"
import { foldAggregate, type AggregateFold } from "./aggregateFolds"
import { history, loadDatasetFacts, loadModelState } from "./facts"
import { findVersion } from "../domain/model/state"

/**
 * What a RequestScoring decision needs: the version, the workload that
 * measures it, what judges would run, and the dataset. The artefact:
 * - an opaque ONNX model's file (its weights are the file itself);
 * - an ONNX import's version 1: the file as submitted (judged in onnxruntime,
 *   not in the Layers form it was converted to);
 * - any other version: the network's Layers topology and weights (TF.js).
 */
export const loadScoringFacts = Effect.fnUntraced(function* (modelId: string, version: number, datasetId: string, workloadId: string | undefined) {
  const state = yield* loadModelState(modelId)
  const v = findVersion(state.versions, version)
  if (!v) return yield* Effect.fail(new ModelVersionNotFound({ modelId, version }))
  const dataset = yield* loadDatasetFacts(datasetId)
  const opaque = opaqueOf(state.topology)
  const imported = state.origin._tag === "Imported" ? state.origin : undefined
  if (workloadId !== undefined && !workloads.has(workloadId)) return yield* Effect.fail(new UnknownWorkload({ workload: workloadId, known: [...workloads.keys()].join(", ") }))
  const declared = opaque?.workload ?? imported?.manifest.workload
  const workload: Workload | undefined =
    workloads.get(workloadId ?? declared ?? "") ?? (opaque ? undefined : [...workloads.values()].find((w) => w.topologyProblem(state.topology) === undefined))
  const base = { owner: state.owner, modelStatus: state.status, dataset }
  const unscoreable = (reason: string): ScoringFacts => ({
    ...base,
    workload: workload?.id ?? "digits",
    workloadMetrics: workload?.metrics.map((m) => m.name) ?? [],
    primaryMetric: workload?.primaryMetric ?? "accuracy",
    workloadFormat: workload?.data.format ?? "",
    artefact: { _tag: "Unscoreable", reason }
  })
  if (!workload) return unscoreable(`no workload builds ${modelId}'s topology`)
  if (declared !== undefined && workload.id !== declared) return unscoreable(`${modelId} was submitted for workload ${declared}, not ${workload.id}`)
  const onnx = opaque
    ? { artefactHash: v.weightsHash, inputs: opaque.inputs, outputs: opaque.outputs }
    : imported?.manifest.framework === "onnx" && version === 1
      ? { artefactHash: imported.artefactHash, inputs: imported.manifest.inputs, outputs: imported.manifest.outputs }
      : undefined
  if (onnx && !workload.evaluateForeign) return unscoreable(`workload ${workload.id} cannot measure an ONNX model it does not build`)
  if (!onnx) {
    const problem = workload.topologyProblem(state.topology)
    if (problem) return unscoreable(`workload ${workload.id} cannot build ${modelId}: ${problem}`)
  }
  return {
    ...base,
    workload: workload.id,
    workloadMetrics: workload.metrics.map((m) => m.name),
    primaryMetric: workload.primaryMetric,
    workloadFormat: workload.data.format,
    artefact: onnx ? { _tag: "Onnx", ...onnx } : { _tag: "Layers", topologyHash: state.topologyHash, weightsHash: v.weightsHash }
  } satisfies ScoringFacts
})

/** The hash of the log entry that recorded the request: the seed of its judges' draw. */
export const loadScoringRequestHash = Effect.fnUntraced(function* (scoringId: string) {
  const recorded = (yield* history(scoringStream(scoringId))).find((e) => e.data._tag === "ScoringRequested")
  if (!recorded) return yield* Effect.fail(new ScoringNotFound({ scoringId }))
  return recorded.hash
})

/** Every node's state, by stream, folded as the node aggregate grows (a running fold: only what is new is read). */
const nodeStates: AggregateFold<Map<string, NodeState>> = {
  name: "nodeStates",
  aggregate: "node",
  initial: () => new Map(),
  resume: (held) => new Map(held),
  apply: (states, e) => void states.set(e.stream, node.evolve(states.get(e.stream) ?? node.initialState, e.data as NodeEvent))
}

/** Every registered validator whose free (bonded, uncommitted) stake reaches `minimum`, with that stake. */
export const loadStakedValidators = Effect.fnUntraced(function* (minimum: bigint) {
  const candidates: Array<typeof StakedCandidate.Type> = []
  for (const s of (yield* foldAggregate(nodeStates)).values()) {
    if (s.status === "registered" && s.roles.includes("validator") && s.stake.free >= minimum && s.stake.free > 0n) candidates.push({ nodeId: s.nodeId, address: s.address, stake: s.stake.free })
  }
  return candidates.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1))
})
