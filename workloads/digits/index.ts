import type { Tf } from "../../infra/ml/tf"
import { layersClassifier } from "../kit/layersClassifier"
import { contiguousParts } from "../workload"
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

/** A small CNN over the same 8×8 images (a Sequential model the digits workload trains too). */
export const digitsCnnLayers = (tf: Tf, seed = 1) =>
  tf.sequential({
    name: "digits_cnn",
    layers: [
      tf.layers.reshape({ name: "image", targetShape: [8, 8, 1], inputShape: [64] }),
      tf.layers.conv2d({ name: "conv", filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.maxPooling2d({ name: "pool", poolSize: 2 }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({ name: "output", units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    ]
  })

const encode = (text: string) => new TextEncoder().encode(text)

export const digits = layersClassifier({
  id: "digits",
  title: "UCI optical digits, 8×8 images of handwritten digits (10 classes)",
  family: "tabular",
  data: {
    format: "digits-csv",
    source: "UCI ML repository, Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998), shipped in workloads/digits/data",
    licence: "CC-BY-4.0"
  },
  inputShape: [DIGITS_FEATURES],
  classes: DIGITS_CLASSES,
  what: "digits",
  preprocessing: "pixel-counts-over-16",
  decode: (bytes) => parseRows(new TextDecoder().decode(bytes).split("\n").filter((l) => l.trim().length > 0)),
  publicData: ({ shards, trainSamples, heldOutSamples }) => ({
    training: contiguousParts(digitRows("training").slice(0, trainSamples), shards).map((rows) => encode(rowsBytes(rows))),
    validation: encode(rowsBytes(digitRows("validation").slice(0, heldOutSamples))),
    names: { training: "UCI optical digits (optdigits.tra)", validation: "UCI optical digits held-out (optdigits.tes)" }
  })
})
