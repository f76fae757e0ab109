import type { Metrics } from "../../domain/primitives"
import type { ResultState, TaskData } from "../../domain/task/state"
import { sha256Hex } from "../../infra/contentHash"
import { fedAvg } from "../../infra/ml/model"
import type { LoadedTf } from "../../infra/ml/tf"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import type { Workload } from "../../workloads/workload"
import type { DataLibrary } from "../infra/dataLibrary"
import { measureWeights } from "../infra/mlDeps"
import type { MlThreads } from "../threads/pool"

/**
 * The coordinator's aggregation of a round's results and the measurement of
 * an aggregate on the task's held-out set.
 */
export const aggregation = (deps: {
  readonly weights: WeightsStoreShape
  readonly tf: () => Promise<LoadedTf>
  readonly data: DataLibrary
  /** Where the held-out measurement runs: these threads (a local network's), else the event loop. */
  readonly threads?: MlThreads
  readonly workloadOf: (t: TaskData) => Workload
  readonly topologyOf: (t: TaskData) => Record<string, unknown> | undefined
}) => {
  /** The workload's aggregate (FedAvg by samples unless it has its own) of results' weights, in the order given. */
  const aggregateOf = async (t: TaskData, results: ReadonlyArray<Pick<ResultState, "proof">>) => {
    const parts = []
    for (const r of results) parts.push({ bytes: await deps.weights.get(r.proof.weightsHash), samples: r.proof.sampleCount })
    return (deps.workloadOf(t).aggregate ?? fedAvg)(parts)
  }
  // An aggregate measured when its round was routed ahead is the one closing
  // the round measures again when every result is verified: same bytes, same
  // held-out set, same backend, so the same numbers. Kept for a few rounds.
  const measured = new Map<string, Metrics>()
  const measureAggregate = async (t: TaskData, weights: Uint8Array): Promise<Metrics> => {
    const key = `${t.taskId}:${sha256Hex(weights)}`
    const known = measured.get(key)
    if (known) return known
    const metrics = await measureWeights({ tf: await deps.tf(), data: deps.data, ...(deps.threads ? { threads: deps.threads } : {}) }, deps.workloadOf(t), deps.topologyOf(t)!, weights, t.config.validation.contentHash)
    measured.set(key, metrics)
    if (measured.size > 16) measured.delete(measured.keys().next().value!)
    return metrics
  }
  return { aggregateOf, measureAggregate }
}
