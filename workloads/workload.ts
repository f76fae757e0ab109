import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import type { Metrics } from "../domain/primitives"
import type { MetricDirection } from "../domain/task/events"
import type { Tf } from "../infra/ml/tf"
import type { Samples } from "./kit/samples"
import type { ExportedModel } from "./kit/export"
import type { TensorSpec } from "../domain/model/manifest"

/**
 * A workload: one family of models the network can train, verify and serve.
 * Everything model-specific lives behind this interface (one folder per
 * workload, listed in registry.ts); the protocol, the nodes and the API only
 * ever call it. A workload must make training a deterministic function of
 * (weights, optimizer state, data, plan, seed, step) on one backend build,
 * because validators re-execute committed segments of it bit-exactly
 * (docs/protocol.md §4): no dropout, no library shuffling, seeded initializers.
 */
export interface Workload {
  readonly id: string
  readonly title: string
  readonly family: "tabular" | "image" | "text-classification" | "generative-text" | "multimodal" | "audio-text" | "agent"
  /** Where its data comes from and under what terms (shown by GET /workloads and the README). */
  readonly data: {
    /** The shard byte format it reads; datasets declare it and CreateTask checks they match. */
    readonly format: string
    readonly source: string
    readonly licence: string
  }
  /** What it measures on a held-out set; a task's objective names one. Every workload reports `loss`. */
  readonly metrics: ReadonlyArray<{ readonly name: string; readonly direction: MetricDirection; readonly description: string }>
  /** The metric a task usually optimises and the metric validators compare claims on. */
  readonly primaryMetric: string
  /**
   * What a model of this workload takes and gives (shapes with null for the
   * batch) and the named pre/post-processing around it: what a submitted
   * model's manifest (neura-model.json) must match. Absent: no imports.
   */
  readonly io?: {
    readonly inputs: ReadonlyArray<TensorSpec>
    readonly outputs: ReadonlyArray<TensorSpec>
    readonly preprocessing: string
    readonly postprocessing: string
  }
  /** A topology this workload builds (the example models use it). */
  readonly exampleTopology: Record<string, unknown>
  /** Why a registered topology cannot be built by this workload, or undefined. Pure: the API calls it without TF.js. */
  readonly topologyProblem: (topology: Record<string, unknown>) => string | undefined
  /** Samples from one shard's bytes (which the node checked against their content hash). Throws on malformed bytes. */
  readonly decode: (bytes: Uint8Array, topology: Record<string, unknown>) => Samples
  /** The model of a topology, with seeded initial weights. */
  readonly build: (tf: Tf, topology: Record<string, unknown>) => Promise<LayersModel>
  /** The tensors of one training step's rows, one per model input (the caller disposes them). */
  readonly batch: (tf: Tf, samples: Samples, indices: ArrayLike<number>, topology: Record<string, unknown>) => { xs: Tensor | Array<Tensor>; ys: Tensor }
  /**
   * Workloads trained without backpropagation (the agents' evolution
   * strategies): one step's gradient estimate from its rows and its own seed,
   * keyed by variable name, which the plan's optimizer applies in place of
   * `batch`. Must be deterministic in (weights, rows, stepSeed). Asynchronous
   * so a long estimate can yield to the node's event loop (heartbeats, NATS).
   */
  readonly estimate?: (tf: Tf, model: LayersModel, samples: Samples, indices: ArrayLike<number>, topology: Record<string, unknown>, stepSeed: number) => Promise<{ grads: Record<string, Tensor>; loss: number }>
  /**
   * The held-out metrics of a model the network does not build (an opaque
   * ONNX submission), from `run`, which feeds the io inputs (float32, row
   * major, batch first) and answers the io outputs. Same names and meaning
   * as `evaluate`. Absent: such models cannot be scored for this workload.
   */
  readonly evaluateForeign?: (samples: Samples, run: (inputs: ReadonlyArray<{ readonly data: Float32Array; readonly dims: ReadonlyArray<number> }>) => Promise<ReadonlyArray<Float32Array>>) => Promise<Metrics>
  /** The held-out metrics of a model. */
  readonly evaluate: (tf: Tf, model: LayersModel, samples: Samples, topology: Record<string, unknown>) => Metrics
  /**
   * Combine verified results into the next version, given in a fixed order.
   * Defaults to sample-weighted FedAvg (infra/ml/model.ts).
   */
  readonly aggregate?: (parts: ReadonlyArray<{ readonly bytes: Uint8Array; readonly samples: number }>) => Uint8Array
  /**
   * The workload's public data cut into content-addressed shards, as a data
   * provider uploads them (examples, tests, benchmarks): `shards` training
   * shards of about `trainSamples` samples in all, and a held-out set of
   * about `heldOutSamples`, disjoint from the training pool.
   */
  readonly publicData: (size: DataSize) => PublicData
  /** The model as artifacts other tools load (TF.js Layers model.json with inlined weights for every workload here). */
  readonly export: (tf: Tf, model: LayersModel) => Promise<ExportedModel>
  /** Generative workloads: continue a prompt, deterministically for a seed. */
  readonly generate?: (tf: Tf, model: LayersModel, topology: Record<string, unknown>, request: GenerateRequest) => string
  /** Agent workloads: one episode from an environment seed, with every tool call and observation. */
  readonly episode?: (tf: Tf, model: LayersModel, topology: Record<string, unknown>, seed: number) => unknown
}

/** The step functions infra/ml/checkpoints.ts's stepTrainer takes for a workload's model and samples. */
export const stepFunctionsOf = (tf: Tf, workload: Workload, model: LayersModel, samples: Samples, topology: Record<string, unknown>) => ({
  batchOf: (rows: Int32Array) => workload.batch(tf, samples, rows, topology),
  estimateOf: workload.estimate && ((rows: Int32Array, stepSeed: number) => workload.estimate!(tf, model, samples, rows, topology, stepSeed))
})

export interface GenerateRequest {
  readonly prompt: string
  readonly maxTokens: number
  /** 0 picks the most likely token; above 0 samples from the softmax at that temperature. */
  readonly temperature: number
  readonly seed: number
}

export interface DataSize {
  readonly shards: number
  readonly trainSamples: number
  readonly heldOutSamples: number
}

export interface PublicData {
  readonly training: ReadonlyArray<Uint8Array>
  readonly validation: Uint8Array
  /** Dataset names for the registry (provenance in words). */
  readonly names: { readonly training: string; readonly validation: string }
  /** How generated data was made, reproducibly (recorded in the datasets' registration). */
  readonly recipe?: { readonly training: string; readonly validation: string }
}

/** Cut `total` items into `shards` contiguous parts (the last may be shorter; none is empty). */
export const contiguousParts = <A>(items: ReadonlyArray<A>, shards: number): Array<ReadonlyArray<A>> => {
  const size = Math.ceil(items.length / shards)
  return Array.from({ length: shards }, (_, i) => items.slice(i * size, (i + 1) * size)).filter((p) => p.length > 0)
}
