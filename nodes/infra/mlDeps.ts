import type { LoadedTf } from "../../infra/ml/tf"
import { setWeightBytes } from "../../infra/ml/model"
import type { Metrics } from "../../domain/primitives"
import type { Workload } from "../../workloads/workload"
import type { ExternalExecutor } from "../../infra/ml/externalExecutor"
import type { DataLibrary } from "./dataLibrary"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"

/** What a trainer or validator needs to do its ML work, and how it reports while doing it. */
export interface MlNodeDeps<Behaviour extends string> {
  readonly tf: LoadedTf
  readonly weights: WeightsStoreShape
  readonly data: DataLibrary
  readonly behaviour?: Behaviour
  /**
   * An external executor (e.g. the PyTorch worker): a trainer that has one
   * trains with it; a validator, watcher or referee replays with it the
   * results whose proof names its backend.
   */
  readonly executor?: ExternalExecutor
  readonly progress?: (line: string) => void
  readonly working?: () => void
}

/** "accuracy 0.9312, loss 0.2201": a measurement for a log line. */
export const describeMetrics = (m: Readonly<Record<string, number>>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(", ")

/**
 * A workload's held-out metrics of some weights: build the model from the
 * topology, load the bytes, evaluate it on the validation set (by content
 * hash, from the data library), free it. What a judge, a scoring judge and the
 * aggregator each measure.
 */
export const measureWeights = async (
  ml: { readonly tf: LoadedTf; readonly data: DataLibrary },
  workload: Workload,
  topology: Record<string, unknown>,
  bytes: Uint8Array,
  validationHash: string
): Promise<Metrics> => {
  const { tf } = ml.tf
  const model = await workload.build(tf, topology)
  try {
    setWeightBytes(tf, model, bytes)
    return workload.evaluate(tf, model, await ml.data.samples(workload, topology, [validationHash]), topology)
  } finally {
    model.dispose()
  }
}
