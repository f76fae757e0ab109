/** Small helpers shared by the benchmarks. Results are plain JSON-able objects. */
export interface BenchResult {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** The raw-infrastructure baseline measured in the same run, when there is one. */
  readonly baseline?: { readonly name: string; readonly value: number }
  /** value / baseline.value */
  readonly ratio?: number
  readonly details?: Record<string, unknown>
}

export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits))

export const compare = (
  name: string,
  unit: string,
  value: number,
  baseline: { name: string; value: number },
  details?: Record<string, unknown>
): BenchResult => ({
  name,
  unit,
  value: round(value),
  baseline: { name: baseline.name, value: round(baseline.value) },
  ratio: round(value / baseline.value, 3),
  ...(details ? { details } : {})
})

export const latencySummary = (samplesMs: Array<number>) => {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  return { p50Ms: round(percentile(sorted, 50), 3), p99Ms: round(percentile(sorted, 99), 3) }
}
