import type { LayersModel, Tensor } from "@tensorflow/tfjs"
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

/**
 * The values of the tensors `compute` returns, every tensor it made along
 * the way freed. Not `tf.tidy(() => t.dataSync())`: tidy walks whatever its
 * function returns to find the tensors to keep, and a typed array it walks
 * element by element into a Set. A digits evaluation (1,797 held-out
 * samples) spent more in that walk than in its kernels: ~3 % of an ML
 * thread's time in the 4-trainer network (profile), and every judge pays it.
 */
export const tidyValues = <K extends string>(tf: Tf, compute: () => Record<K, Tensor>): Record<K, Float32Array | Int32Array | Uint8Array> => {
  const kept = tf.tidy(compute)
  const values = {} as Record<K, Float32Array | Int32Array | Uint8Array>
  try {
    for (const key of Object.keys(kept) as Array<K>) values[key] = kept[key].dataSync() as Float32Array | Int32Array | Uint8Array
  } finally {
    tf.dispose(Object.values(kept) as Array<Tensor>)
  }
  return values
}
