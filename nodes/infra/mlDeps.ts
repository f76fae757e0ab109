import { onEventLoop, type LoadedTf } from "../../infra/ml/tf"
import { setWeightBytes } from "../../infra/ml/model"
import type { Metrics } from "../../domain/primitives"
import type { Workload } from "../../workloads/workload"
import type { ExternalExecutor } from "../../infra/ml/externalExecutor"
import type { DataLibrary } from "./dataLibrary"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { requireWorkload, workloads } from "../../workloads/registry"
import type { Samples } from "../../workloads/kit/samples"
import { onThread, type MlThreads } from "../threads/pool"

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
  /** Where TF.js training, replays and measurements run: these threads (nodes/threads), else the event loop. */
  readonly threads?: MlThreads
}

/** "accuracy 0.9312, loss 0.2201": a measurement for a log line. */
export const describeMetrics = (m: Readonly<Record<string, number>>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(", ")

/** A held-out measurement with its inputs fetched: what runs on an ML thread. */
export interface MeasureJob {
  readonly workload: string
  readonly topology: Record<string, unknown>
  readonly weights: Uint8Array
  readonly validation: Samples
}

/** Build the model from the topology, load the bytes, evaluate it on the samples, free it. */
export const measureSamples = async (tf: LoadedTf, job: MeasureJob, workload: Workload = requireWorkload(job.workload)): Promise<Metrics> => {
  const model = await workload.build(tf.tf, job.topology)
  try {
    setWeightBytes(tf.tf, model, job.weights)
    return workload.evaluate(tf.tf, model, job.validation, job.topology)
  } finally {
    model.dispose()
  }
}

/**
 * A workload's held-out metrics of some weights, on the validation set (by
 * content hash, from the data library): on an ML thread when the node has
 * them. What a judge, a scoring judge and the aggregator each measure.
 */
export const measureWeights = async (
  ml: { readonly tf: LoadedTf; readonly data: DataLibrary; readonly threads?: MlThreads },
  workload: Workload,
  topology: Record<string, unknown>,
  bytes: Uint8Array,
  validationHash: string
): Promise<Metrics> => {
  const job: MeasureJob = { workload: workload.id, topology, weights: bytes, validation: await ml.data.samples(workload, topology, [validationHash]) }
  // A thread knows the registry's workloads by id; any other runs here.
  return ml.threads && workloads.get(workload.id) === workload ? onThread(ml.threads, { kind: "measure", measure: job }, ml.tf.backend) : measureSamples(await onEventLoop(ml.tf), job, workload)
}
