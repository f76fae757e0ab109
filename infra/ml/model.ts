import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import type { Samples } from "../datasets/digits"
import type { Tf } from "./tf"

/**
 * Model mechanics shared by trainers, validators and the aggregator. Weights
 * travel as bytes: every weight tensor of `model.getWeights()` in order, as
 * little-endian float32, concatenated. Their SHA-256 is the weights hash.
 */

export { weightsHash } from "../weights/WeightsStore"

export const buildModel = async (tf: Tf, topology: Record<string, unknown>): Promise<LayersModel> =>
  tf.models.modelFromJSON({ modelTopology: topology } as never)

export const getWeightBytes = (model: LayersModel): Uint8Array => {
  const arrays = model.getWeights().map((w) => w.dataSync() as Float32Array)
  const total = arrays.reduce((n, a) => n + a.length, 0)
  const out = new Float32Array(total)
  let offset = 0
  for (const a of arrays) {
    out.set(a, offset)
    offset += a.length
  }
  return new Uint8Array(out.buffer)
}

export const setWeightBytes = (tf: Tf, model: LayersModel, bytes: Uint8Array): void => {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  let offset = 0
  const tensors = model.getWeights().map((w) => {
    const size = w.size
    const t = tf.tensor(floats.subarray(offset, offset + size), w.shape, "float32")
    offset += size
    return t
  })
  if (offset !== floats.length) throw new Error(`weights have ${floats.length} values, model needs ${offset}`)
  model.setWeights(tensors)
  tensors.forEach((t) => t.dispose())
}

/** mulberry32: a tiny seeded PRNG, so data order is reproducible across processes. */
export const seededRandom = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A seeded Fisher-Yates order of 0..n-1: an epoch's data order, the same in every process. */
export const seededPermutation = (n: number, seed: number): Int32Array => {
  const rand = seededRandom(seed)
  const p = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = p[i]!
    p[i] = p[j]!
    p[j] = t
  }
  return p
}

export interface TrainPlan {
  readonly epochs: number
  readonly batchSize: number
  readonly learningRate: number
  readonly optimizer: "sgd" | "adam"
  readonly seed: number
}

const tensorsOf = (tf: Tf, samples: Samples, order: Int32Array | undefined, classes: number) => {
  const features = samples.features.length / samples.count
  const x = new Float32Array(samples.features.length)
  const y = new Float32Array(samples.count * classes)
  for (let i = 0; i < samples.count; i++) {
    const src = order ? order[i]! : i
    x.set(samples.features.subarray(src * features, (src + 1) * features), i * features)
    y[i * classes + samples.labels[src]!] = 1
  }
  return { xs: tf.tensor2d(x, [samples.count, features]), ys: tf.tensor2d(y, [samples.count, classes]) }
}

/**
 * Train from the model's current weights. Deterministic on one backend: the
 * data order comes from the seed (no library shuffling), the optimizer starts
 * fresh, and there is no dropout. `onBatch` is where long work signals
 * progress (a work-queue `working()`, a log line).
 */
export const train = async (
  tf: Tf,
  model: LayersModel,
  samples: Samples,
  plan: TrainPlan,
  classes: number,
  onBatch?: (info: { epoch: number; batch: number; loss: number }) => void | Promise<void>
): Promise<{ steps: number; loss: number }> => {
  const optimizer = plan.optimizer === "adam" ? tf.train.adam(plan.learningRate) : tf.train.sgd(plan.learningRate)
  model.compile({ optimizer, loss: "categoricalCrossentropy" })
  let steps = 0
  let loss = NaN
  for (let epoch = 0; epoch < plan.epochs; epoch++) {
    const { xs, ys } = tensorsOf(tf, samples, seededPermutation(samples.count, plan.seed * 1000 + epoch), classes)
    const history = await model.fit(xs, ys, {
      epochs: 1,
      batchSize: plan.batchSize,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (batch, logs) => {
          steps++
          await onBatch?.({ epoch, batch, loss: Number(logs?.loss ?? NaN) })
        }
      }
    })
    loss = Number(history.history.loss?.[0] ?? NaN)
    xs.dispose()
    ys.dispose()
  }
  optimizer.dispose()
  return { steps, loss }
}

/** Accuracy and mean cross-entropy on a set, plus the predicted classes. */
export const evaluate = (tf: Tf, model: LayersModel, samples: Samples, classes: number) => {
  const { xs, ys } = tensorsOf(tf, samples, undefined, classes)
  const result = tf.tidy(() => {
    const probs = model.predict(xs) as Tensor
    const predicted = probs.argMax(-1).dataSync() as Int32Array
    const clipped = probs.clipByValue(1e-7, 1)
    const loss = tf.neg(tf.sum(tf.mul(ys, tf.log(clipped)), -1)).mean().dataSync()[0]!
    return { predicted: Int32Array.from(predicted), loss }
  })
  xs.dispose()
  ys.dispose()
  let correct = 0
  for (let i = 0; i < samples.count; i++) if (result.predicted[i] === samples.labels[i]) correct++
  return { accuracy: correct / samples.count, loss: result.loss, predicted: result.predicted }
}

/**
 * Sample-weighted federated averaging of weight byte arrays, accumulated in
 * float64 in the given order (callers sort it) so every aggregator gets the
 * same bytes.
 */
export const fedAvg = (parts: ReadonlyArray<{ readonly bytes: Uint8Array; readonly samples: number }>): Uint8Array => {
  if (parts.length === 0) throw new Error("fedAvg needs at least one result")
  const first = parts[0]!.bytes
  const n = first.byteLength / 4
  const acc = new Float64Array(n)
  const total = parts.reduce((s, p) => s + p.samples, 0)
  for (const p of parts) {
    if (p.bytes.byteLength !== first.byteLength) throw new Error("fedAvg: weight arrays differ in size")
    const f = new Float32Array(p.bytes.buffer.slice(p.bytes.byteOffset, p.bytes.byteOffset + p.bytes.byteLength))
    const w = p.samples / total
    for (let i = 0; i < n; i++) acc[i]! += f[i]! * w
  }
  return new Uint8Array(Float32Array.from(acc).buffer)
}
