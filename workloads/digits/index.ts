import type { Tf } from "../../infra/ml/tf"
import { fedAvg } from "../../infra/ml/model"
import { batchTensors, measure } from "../kit/classification"
import { sequentialProblem } from "../kit/layersJson"
import { contiguousParts, type Workload } from "../workload"
import { DIGITS_CLASSES, DIGITS_FEATURES, digitRows, parseRows, rowsBytes } from "./data"

/** The seed's first workload: an MLP (or any small Sequential model) on the UCI optical digits. */
export const digitsMlpLayers = (tf: Tf, seed = 1) =>
  tf.sequential({
    name: "digits_mlp",
    layers: [
      tf.layers.dense({ name: "hidden", units: 32, activation: "relu", inputShape: [64], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ name: "output", units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    ]
  })

const options = { classes: DIGITS_CLASSES }

export const digits: Workload = {
  id: "digits",
  title: "UCI optical digits, 8×8 images of handwritten digits (10 classes)",
  family: "tabular",
  data: {
    format: "digits-csv",
    source: "UCI ML repository, Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998), shipped in workloads/digits/data",
    licence: "CC-BY-4.0"
  },
  metrics: [
    { name: "accuracy", direction: "maximize", description: "fraction of held-out digits classified right" },
    { name: "loss", direction: "minimize", description: "mean cross-entropy (nats)" }
  ],
  primaryMetric: "accuracy",
  exampleTopology: { note: "TF.js Layers JSON of a Sequential model: input [null, 64], last layer Dense(10, softmax)" },
  topologyProblem: (t) => sequentialProblem(t, { inputShape: [DIGITS_FEATURES], classes: DIGITS_CLASSES }),
  decode: (bytes) => parseRows(new TextDecoder().decode(bytes).split("\n").filter((l) => l.trim().length > 0)),
  build: async (tf, topology) => tf.models.modelFromJSON({ modelTopology: topology } as never),
  batch: (tf, samples, indices) => batchTensors(tf, samples, indices, options),
  evaluate: (tf, model, samples) => {
    const m = measure(tf, model, samples, options)
    return { accuracy: m.accuracy, loss: m.loss }
  },
  aggregate: fedAvg,
  publicData: ({ shards, trainSamples, heldOutSamples }) => ({
    training: contiguousParts(digitRows("training").slice(0, trainSamples), shards).map(rowsBytes).map((t) => new TextEncoder().encode(t)),
    validation: new TextEncoder().encode(rowsBytes(digitRows("validation").slice(0, heldOutSamples))),
    names: { training: "UCI optical digits (optdigits.tra)", validation: "UCI optical digits held-out (optdigits.tes)" }
  })
}
