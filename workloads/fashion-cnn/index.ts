import type { Tf } from "../../infra/ml/tf"
import { layersClassifier } from "../kit/layersClassifier"
import { CLASSES, RECORD, SIDE, decodeRecords, fashionRecords } from "./data"

/** A small CNN for 28×28 grey images: two conv/pool stages and a softmax. */
export const fashionCnnLayers = (tf: Tf, seed = 1) =>
  tf.sequential({
    name: "fashion_cnn",
    layers: [
      tf.layers.conv2d({ name: "conv1", inputShape: [SIDE, SIDE, 1], filters: 8, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }),
      tf.layers.conv2d({ name: "conv2", filters: 16, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
      tf.layers.maxPooling2d({ name: "pool2", poolSize: 2 }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({ name: "output", units: CLASSES, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) })
    ]
  })

export const fashionCnn = layersClassifier({
  id: "fashion-cnn",
  title: "Fashion-MNIST clothing images (28×28 grey, 10 classes) with a CNN",
  family: "image",
  data: {
    format: "gray28-u8",
    source: "Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research) from Debian's dataset-fashion-mnist package",
    licence: "MIT"
  },
  inputShape: [SIDE, SIDE, 1],
  classes: CLASSES,
  what: "images",
  preprocessing: "grey-levels-0-1",
  decode: decodeRecords,
  publicData: ({ shards, trainSamples, heldOutSamples }) => {
    const train = fashionRecords("train", 0, trainSamples)
    const per = Math.ceil(trainSamples / shards)
    return {
      training: Array.from({ length: Math.ceil(trainSamples / per) }, (_, i) => train.slice(i * per * RECORD, Math.min(trainSamples, (i + 1) * per) * RECORD)),
      validation: fashionRecords("t10k", 0, heldOutSamples),
      names: { training: "Fashion-MNIST training images", validation: "Fashion-MNIST test images" }
    }
  }
})
