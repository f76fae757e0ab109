import type { LayersModel } from "@tensorflow/tfjs"
import type { Tf } from "./tf"

/**
 * Model structures for the digits tasks, as TF.js Layers JSON. Layers are
 * named explicitly (auto names differ per process) and initializers seeded,
 * so the same topology yields the same initial weights everywhere.
 */
export const digitsMlp = (tf: Tf, seed = 1): LayersModel =>
  tf.sequential({
    name: "digits_mlp",
    layers: [
      tf.layers.dense({ name: "hidden", units: 32, activation: "relu", inputShape: [64], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ name: "output", units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    ]
  })

export const digitsCnn = (tf: Tf, seed = 1): LayersModel =>
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

/** The topology JSON a task registers (model.toJSON without weights). */
export const topologyOf = (model: LayersModel): Record<string, unknown> =>
  model.toJSON(null, false) as unknown as Record<string, unknown>
