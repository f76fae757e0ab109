import { seededRandom } from "../../infra/ml/model"
import { networkPolicy, runEpisode, type DenseLayer } from "./agent"

/**
 * One evolution-strategies step (Salimans et al. 2017): `population` policies
 * around the current one, in antithetic pairs θ ± σε with ε drawn from the
 * step's seed, each run on the step's episodes (environment seeds); returns
 * are shaped into centred ranks and the estimate is Σ rankᵢ εᵢ / (nσ).
 * Everything is a function of (weights, episode seeds, step seed): a
 * validator that replays the step gets the same perturbations, the same
 * episodes and the same update, bit for bit.
 */
export interface EsSettings {
  readonly sigma: number
  readonly population: number
}

/** N(0, 1) draws from a seeded uniform stream (Box–Muller). */
const normals = (seed: number, n: number): Float64Array => {
  const rand = seededRandom(seed)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rand()
    const v = rand()
    const r = Math.sqrt(-2 * Math.log(u))
    out[i] = r * Math.cos(2 * Math.PI * v)
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v)
  }
  return out
}

const sizeOf = (layers: ReadonlyArray<DenseLayer>) => layers.reduce((n, l) => n + l.kernel.length + l.bias.length, 0)

/** The layers with θ + scale·ε (ε flat, in kernel-then-bias order per layer). */
const shifted = (layers: ReadonlyArray<DenseLayer>, eps: Float64Array, scale: number): Array<DenseLayer> => {
  let o = 0
  const add = (a: Float32Array) => {
    const out = new Float32Array(a.length)
    for (let i = 0; i < a.length; i++) out[i] = a[i]! + scale * eps[o++]!
    return out
  }
  return layers.map((l) => ({ ...l, kernel: add(l.kernel), bias: add(l.bias) }))
}

/** Mean return of a policy over episodes. */
export const meanReturn = (layers: ReadonlyArray<DenseLayer>, seeds: ArrayLike<number>) => {
  const policy = networkPolicy(layers)
  let total = 0
  for (let i = 0; i < seeds.length; i++) total += runEpisode(policy, seeds[i]!).return
  return total / seeds.length
}

/** Centred ranks in [−0.5, 0.5] (ties broken by position, deterministically). */
const centredRanks = (values: ReadonlyArray<number>): Array<number> => {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const ranks = new Array<number>(values.length)
  order.forEach(([, i], r) => (ranks[i] = values.length > 1 ? r / (values.length - 1) - 0.5 : 0))
  return ranks
}

/**
 * The ascent direction's estimate for one step, as a descent gradient (what
 * an optimizer applies), flat in kernel-then-bias order, and the mean return
 * of the population (the step's "loss" is its negative).
 */
export const esGradient = async (layers: ReadonlyArray<DenseLayer>, episodes: ArrayLike<number>, s: EsSettings, stepSeed: number) => {
  const n = sizeOf(layers)
  const pairs = Math.max(1, Math.floor(s.population / 2))
  const eps: Array<Float64Array> = []
  const returns: Array<number> = []
  for (let k = 0; k < pairs; k++) {
    const e = normals(stepSeed * 1009 + k, n)
    eps.push(e)
    returns.push(meanReturn(shifted(layers, e, s.sigma), episodes), meanReturn(shifted(layers, e, -s.sigma), episodes))
    // A step is hundreds of episodes of plain JavaScript: let the node's event loop breathe between pairs.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  const ranks = centredRanks(returns)
  const gradient = new Float32Array(n)
  for (let k = 0; k < pairs; k++) {
    const w = (ranks[2 * k]! - ranks[2 * k + 1]!) / (2 * pairs * s.sigma)
    const e = eps[k]!
    // Minus: optimizers descend, ES ascends the return.
    for (let i = 0; i < n; i++) gradient[i] = gradient[i]! - w * e[i]!
  }
  return { gradient, meanReturn: returns.reduce((a, b) => a + b, 0) / returns.length }
}
