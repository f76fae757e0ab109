import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import type { Tf } from "../../infra/ml/tf"
import { tfjsLayersExport } from "../kit/export"
import type { Samples } from "../kit/samples"
import { contiguousParts, type Workload } from "../workload"
import { fedAvg } from "../../infra/ml/model"
import { ACTIONS, FEATURES, networkPolicy, runEpisode, type DenseLayer } from "./agent"
import { esGradient } from "./es"

/**
 * A tool-using agent trained by evolution strategies: a policy network
 * (dense layers over the agent's belief, ./agent.ts) chooses which tool to
 * call in a warehouse it only partly sees (./env.ts) until the package is
 * delivered. Shards are environment seeds (format `episode-seeds`: one
 * decimal seed per line); a training step is one ES update over a batch of
 * them (./es.ts), applied by the plan's optimizer, so the checkpointed
 * trainer, segment re-execution and FedAvg (the mean of the trainers' ES
 * updates) work unchanged, and a validator's replay of a step replays the
 * same episodes exactly. Held-out seeds are warehouses no trainer saw.
 *
 * Topology: {kind: "es-policy", hidden, sigma, population, seed}.
 */
export interface PolicyTopology {
  readonly hidden: number
  readonly sigma: number
  readonly population: number
  readonly seed: number
}

const HELD_OUT_FROM = 1_000_000
const MAX_SEED = 2 ** 31 - 1

const policyTopology = (t: Record<string, unknown>): PolicyTopology => t as unknown as PolicyTopology

const topologyProblem = (t: Record<string, unknown>): string | undefined => {
  if (t.kind !== "es-policy") return 'kind must be "es-policy"'
  const int = (name: string, lo: number, hi: number) => (Number.isInteger(t[name]) && (t[name] as number) >= lo && (t[name] as number) <= hi ? undefined : `${name} must be an integer in ${lo}..${hi}`)
  const sigma = typeof t.sigma === "number" && t.sigma > 0 && t.sigma <= 1 ? undefined : "sigma must be a number in (0, 1]"
  return int("hidden", 0, 128) ?? int("population", 2, 64) ?? int("seed", 0, MAX_SEED) ?? sigma
}

const decode = (bytes: Uint8Array): Samples => {
  const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l.trim().length > 0)
  if (lines.length === 0) throw new Error("episode-seeds shard: no seeds")
  const y = new Int32Array(lines.length)
  lines.forEach((l, i) => {
    const n = Number(l.trim())
    if (!Number.isInteger(n) || n < 0 || n > MAX_SEED) throw new Error(`episode-seeds shard: line ${i + 1} is not a seed 0..${MAX_SEED}`)
    y[i] = n
  })
  // The seeds are the samples; nothing else is fed to a network.
  return { count: lines.length, x: new Float32Array(lines.length), xShape: [1], y, yWidth: 1 }
}

const encodeSeeds = (seeds: ReadonlyArray<number>) => new TextEncoder().encode(seeds.join("\n") + "\n")

/** The model's dense layers as plain arrays (what the agent evaluates). */
export const denseLayersOf = (model: LayersModel): Array<DenseLayer> =>
  model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights()
    const activation = (layer.getConfig() as { activation?: DenseLayer["activation"] }).activation ?? "linear"
    return { kernel: Float32Array.from(kernel!.dataSync()), bias: Float32Array.from(bias!.dataSync()), inputs: kernel!.shape[0]!, units: kernel!.shape[1]!, activation }
  })

const seedsOf = (samples: Samples, indices?: ArrayLike<number>) => (indices ? Array.from(indices, (i) => samples.y[i]!) : Array.from(samples.y))

export const warehouseAgent: Workload = {
  id: "warehouse-agent",
  title: "A tool-using agent (look, move, pick, use) in a partly observed warehouse, trained by evolution strategies",
  family: "agent",
  data: {
    format: "episode-seeds",
    source: "Generated: the environment (workloads/warehouse-agent/env.ts) draws each warehouse from its seed; shards list seeds",
    licence: "CC0-1.0"
  },
  metrics: [
    { name: "success", direction: "maximize", description: "fraction of held-out warehouses where the package is delivered" },
    { name: "return", direction: "maximize", description: "mean episode return on held-out warehouses" },
    { name: "loss", direction: "minimize", description: "minus the mean return" }
  ],
  primaryMetric: "success",
  exampleTopology: { kind: "es-policy", hidden: 16, sigma: 0.5, population: 32, seed: 1 },
  topologyProblem,
  decode: (bytes) => decode(bytes),
  build: async (tf: Tf, topology) => {
    const t = policyTopology(topology)
    return tf.sequential({
      name: "warehouse_policy",
      // hidden 0: a linear policy (fewest parameters, what ES searches fastest).
      layers: [
        ...(t.hidden > 0 ? [tf.layers.dense({ name: "hidden", inputShape: [FEATURES], units: t.hidden, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: t.seed }) })] : []),
        tf.layers.dense({ name: "tools", ...(t.hidden > 0 ? {} : { inputShape: [FEATURES] }), units: ACTIONS.length, activation: "linear", kernelInitializer: tf.initializers.glorotUniform({ seed: t.seed + 1 }) })
      ]
    })
  },
  batch: () => {
    throw new Error("warehouse-agent trains by evolution strategies (estimate), not from tensors of rows")
  },
  estimate: async (tf, model, samples, indices, topology, stepSeed) => {
    const t = policyTopology(topology)
    const { gradient, meanReturn } = await esGradient(denseLayersOf(model), seedsOf(samples, indices), t, stepSeed)
    const grads: Record<string, Tensor> = {}
    let o = 0
    for (const w of model.trainableWeights) {
      const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1)
      grads[w.name] = tf.tensor(gradient.subarray(o, o + size), w.shape as Array<number>)
      o += size
    }
    return { grads, loss: -meanReturn }
  },
  evaluate: (_tf, model, samples) => {
    const policy = networkPolicy(denseLayersOf(model))
    const episodes = seedsOf(samples).map((seed) => runEpisode(policy, seed))
    const mean = episodes.reduce((s, e) => s + e.return, 0) / episodes.length
    return { success: episodes.filter((e) => e.success).length / episodes.length, return: mean, loss: -mean }
  },
  aggregate: fedAvg,
  publicData: ({ shards, trainSamples, heldOutSamples }) => ({
    training: contiguousParts(Array.from({ length: trainSamples }, (_, i) => i + 1), shards).map(encodeSeeds),
    validation: encodeSeeds(Array.from({ length: heldOutSamples }, (_, i) => HELD_OUT_FROM + i)),
    names: { training: "Warehouse seeds (training)", validation: "Warehouse seeds (held out)" }
  }),
  export: tfjsLayersExport,
  episode: (_tf, model, _topology, seed) => runEpisode(networkPolicy(denseLayersOf(model)), seed, true)
}
