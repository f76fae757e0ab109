import type { Tf } from "../../infra/ml/tf"
import { layersClassifier, twoStageCnn } from "../kit/layersClassifier"
import { CLASSES, RECORD, SIDE, decodeRecords, fashionRecords } from "./data"

/** A small CNN for 28×28 grey images: two conv/pool stages and a softmax. */
export const fashionCnnLayers = (tf: Tf, seed = 1) => twoStageCnn(tf, { name: "fashion_cnn", inputShape: [SIDE, SIDE, 1], classes: CLASSES, seed })

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
