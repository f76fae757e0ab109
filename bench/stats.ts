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

export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
}

/**
 * Ours against its baseline, fairly on a shared machine: one warm-up run of
 * each (the JIT, connections, first server-side allocations), then `rounds`
 * runs alternating ours and the baseline; each side's figure is the median
 * of its runs, so a neighbour's burst moves one run, not the ratio. Each run
 * gets its own index (fresh ids, streams). Beside them, the ratio of each
 * pair of neighbouring runs (ours, then the baseline right after it): the
 * machine drifts less within a pair than across the whole bench, so their
 * spread shows how far one run's ratio can be trusted.
 */
export const interleaved = async (rounds: number, ours: (run: number) => Promise<number>, baseline: (run: number) => Promise<number>) => {
  const warmUp = { ours: await ours(0), baseline: await baseline(0) }
  const o: Array<number> = []
  const b: Array<number> = []
  for (let run = 1; run <= rounds; run++) {
    o.push(await ours(run))
    b.push(await baseline(run))
  }
  const pairRatios = o.map((x, i) => round(x / b[i]!, 3))
  return {
    ours: median(o),
    baseline: median(b),
    runs: { ours: o.map((x) => round(x)), baseline: b.map((x) => round(x)), pairRatios, medianPairRatio: round(median(pairRatios), 3) },
    warmUp
  }
}

export const latencySummary = (samplesMs: Array<number>) => {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  return { p50Ms: round(percentile(sorted, 50), 3), p99Ms: round(percentile(sorted, 99), 3) }
}
