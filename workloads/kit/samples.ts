/**
 * Samples as every workload hands them to training and evaluation: fixed-size
 * inputs and integer targets, row-major, so a batch is a gather of rows and
 * a seeded permutation fixes the data order in every process.
 * - x: count × size(xShape) numbers (pixels in [0, 1], or token ids);
 * - y: count × yWidth integers (a class id, or one next-token id per position).
 */
export interface Samples {
  readonly count: number
  readonly x: Float32Array
  readonly xShape: ReadonlyArray<number>
  readonly y: Int32Array
  readonly yWidth: number
}

export const xSizeOf = (s: Pick<Samples, "xShape">) => s.xShape.reduce((a, b) => a * b, 1)

/** The samples of several shards, in the order given (a work item's shard order). */
export const concatSamples = (parts: ReadonlyArray<Samples>): Samples => {
  if (parts.length === 1) return parts[0]!
  const first = parts[0]
  if (!first) throw new Error("no samples to concatenate")
  const count = parts.reduce((n, p) => n + p.count, 0)
  const xSize = xSizeOf(first)
  const x = new Float32Array(count * xSize)
  const y = new Int32Array(count * first.yWidth)
  let at = 0
  for (const p of parts) {
    if (xSizeOf(p) !== xSize || p.yWidth !== first.yWidth) throw new Error("shards decode to samples of different shapes")
    x.set(p.x, at * xSize)
    y.set(p.y, at * first.yWidth)
    at += p.count
  }
  return { count, x, xShape: first.xShape, y, yWidth: first.yWidth }
}

/** The rows `indices` of the samples: what one training step or one evaluation batch sees. */
export const gatherRows = (s: Samples, indices: ArrayLike<number>) => {
  const xSize = xSizeOf(s)
  const x = new Float32Array(indices.length * xSize)
  const y = new Int32Array(indices.length * s.yWidth)
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!
    x.set(s.x.subarray(src * xSize, (src + 1) * xSize), i * xSize)
    y.set(s.y.subarray(src * s.yWidth, (src + 1) * s.yWidth), i * s.yWidth)
  }
  return { x, y, n: indices.length }
}

/** 0..n-1 in order, in batches: evaluation walks a set this way (bounded memory). */
export function* batchesOf(count: number, size: number): Generator<Int32Array> {
  for (let from = 0; from < count; from += size) yield Int32Array.from({ length: Math.min(size, count - from) }, (_, i) => from + i)
}
