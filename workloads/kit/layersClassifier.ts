import { fedAvg } from "../../infra/ml/model"
import type { Tf } from "../../infra/ml/tf"
import type { Samples } from "./samples"
import { batchTensors, measure, measureForeign } from "./classification"
import { sequentialProblem } from "./layersJson"
import { tfjsLayersExport } from "./export"
import type { PublicData, DataSize, Workload } from "../workload"

/**
 * A classifier whose models are TF.js Layers Sequential JSON over fixed-size
 * inputs (digits, Fashion-MNIST): everything but the data is the same, so a
 * new image or tabular workload is its data and this call.
 */
export const layersClassifier = (w: {
  readonly id: string
  readonly title: string
  readonly family: Workload["family"]
  readonly data: Workload["data"]
  readonly inputShape: ReadonlyArray<number>
  readonly classes: number
  readonly what: string
  /** The name of what decode does to the raw data (a submitted model's manifest must name the same). */
  readonly preprocessing: string
  readonly decode: (bytes: Uint8Array) => Samples
  readonly publicData: (size: DataSize) => PublicData
}): Workload => {
  const options = { classes: w.classes }
  return {
    id: w.id,
    title: w.title,
    family: w.family,
    data: w.data,
    metrics: [
      { name: "accuracy", direction: "maximize", description: `fraction of held-out ${w.what} classified right` },
      { name: "loss", direction: "minimize", description: "mean cross-entropy (nats)" }
    ],
    primaryMetric: "accuracy",
    io: {
      inputs: [{ name: "input", shape: [null, ...w.inputShape], dtype: "float32" }],
      outputs: [{ name: "output", shape: [null, w.classes], dtype: "float32" }],
      preprocessing: w.preprocessing,
      postprocessing: "class-probabilities"
    },
    exampleTopology: { note: `TF.js Layers JSON of a Sequential model: input [null, ${w.inputShape.join(", ")}], last layer Dense(${w.classes}, softmax)` },
    topologyProblem: (t) => sequentialProblem(t, { inputShape: w.inputShape, classes: w.classes }),
    decode: (bytes) => w.decode(bytes),
    build: async (tf, topology) => tf.models.modelFromJSON({ modelTopology: topology } as never),
    batch: (tf, samples, indices) => batchTensors(tf, samples, indices, options),
    evaluate: (tf, model, samples) => {
      const m = measure(tf, model, samples, options)
      return { accuracy: m.accuracy, loss: m.loss }
    },
    evaluateForeign: async (samples, run) => {
      const m = await measureForeign(samples, w.classes, run)
      return { accuracy: m.accuracy, loss: m.loss }
    },
    aggregate: fedAvg,
    export: tfjsLayersExport,
    publicData: w.publicData
  }
}

/** A small CNN for one-channel "images" (pictures, log-mel frames): conv/pool twice, then a softmax over the classes. */
export const twoStageCnn = (tf: Tf, o: { readonly name: string; readonly inputShape: [number, number, 1]; readonly classes: number; readonly seed: number }) =>
  tf.sequential({
    name: o.name,
    layers: [
      tf.layers.conv2d({ name: "conv1", inputShape: o.inputShape, filters: 8, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }) }),
      tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }),
      tf.layers.conv2d({ name: "conv2", filters: 16, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 1 }) }),
      tf.layers.maxPooling2d({ name: "pool2", poolSize: 2 }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({ name: "output", units: o.classes, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 2 }) })
    ]
  })
