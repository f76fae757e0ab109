import { Effect } from "effect"
import type { WorkloadFacts } from "../domain/task/commands"
import { opaqueOf } from "../domain/model/manifest"
import { workloads } from "../workloads/registry"
import { UnknownWorkload } from "./apiErrors"
import { loadModelState } from "./facts"

/**
 * What the registry says about the workload a CreateTask names, checked
 * against the base model's registered topology. The decider refuses a
 * topology problem (TopologyInvalid), a metric the workload does not measure
 * (MetricNotOffered) and datasets of another format (DatasetFormatMismatch).
 */
export const loadWorkloadFacts = Effect.fnUntraced(function* (workloadId: string | undefined, modelId: string) {
  const id = workloadId ?? "digits"
  const w = workloads.get(id)
  if (!w) return yield* Effect.fail(new UnknownWorkload({ workload: id, known: [...workloads.keys()].join(", ") }))
  const model = yield* loadModelState(modelId)
  const opaque = opaqueOf(model.topology)
  const problem = opaque
    ? `${modelId} is an opaque ONNX model (${opaque.reason}): it can be scored, forked and published, not trained`
    : w.topologyProblem(model.topology)
  return {
    workloadId: w.id,
    datasetFormat: w.data.format,
    metrics: w.metrics.map((m) => ({ name: m.name, direction: m.direction })),
    ...(problem ? { topologyProblem: problem } : {})
  } satisfies WorkloadFacts
})
