import { readFileSync } from "node:fs"
import { join } from "node:path"
import { getWeightBytes, setWeightBytes } from "../infra/ml/model"
import { loadTf, type Tf } from "../infra/ml/tf"
import { layersTopology } from "../nodes/workloadTask"
import { fashionCnnLayers } from "../workloads/fashion-cnn"
import { spokenDigitsLayers } from "../workloads/spoken-digits"
import { requireWorkload } from "../workloads/registry"
import { honestNodes, networkHarness } from "../tests/support/networkHarness"
import { bareFit } from "./bare"
import { compare, round, type BenchResult } from "./stats"

/** An example task (examples/<workload>.json): the larger configuration of each workload. */
export interface Example {
  readonly workload: string
  /** A workload topology, or the name of a TF.js Layers model below (its JSON). */
  readonly topology: Record<string, unknown> | keyof typeof namedLayers
  readonly data: { shards: number; trainSamples: number; heldOutSamples: number }
  readonly objective: { metric: string; target: number }
  readonly epochsPerRound: number
  /** Rows per step (32 when absent). */
  readonly batchSize?: number
  readonly learningRate: number
  readonly metricTolerance?: number
  readonly maxRounds: number
}

/** Layers models an example names instead of spelling out their JSON. */
const namedLayers = { fashionCnnLayers, spokenDigitsLayers }

/** The example's topology as the workload takes it (a named Layers model is built and written as JSON). */
export const topologyOfExample = (example: Example, tf: Tf): Record<string, unknown> =>
  typeof example.topology === "string" ? layersTopology(namedLayers[example.topology](tf, 3)) : example.topology

export const readExample = (id: string): Example => JSON.parse(readFileSync(join(import.meta.dirname, "..", "examples", `${id}.json`), "utf8")) as Example

/**
 * One workload's example on the network (real NATS, coordinator, 2 trainers,
 * 3 validators, in one process) beside centralised training on the same
 * data for the same number of passes, and a trainer's throughput beside bare
 * TF.js on the same backend.
 */
export const workloadBench = async (url: string, id: string): Promise<Array<BenchResult>> => {
  const example = readExample(id)
  const loaded = await loadTf()
  const { tf } = loaded
  const workload = requireWorkload(example.workload)
  const topology = topologyOfExample(example, tf)
  const data = workload.publicData(example.data)
  const all = workload.decode(Buffer.concat(data.training), topology)
  const heldOut = workload.decode(data.validation, topology)
  const direction = workload.metrics.find((m) => m.name === example.objective.metric)!.direction

  // The network run.
  let started = performance.now()
  await using net = await networkHarness(url, honestNodes)
  const created = await net.createWorkloadTask(`EX-${id}`, { ...example, topology })
  const events = await net.waitForEnd(`EX-${id}`, 3_600_000)
  const networkSeconds = (performance.now() - started) / 1000
  const end = events.find((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted")
  const rounds = events.filter((e) => e.type === "RoundClosed").length
  const networkMetric = end?.data.metrics?.[example.objective.metric] as number | undefined
  const trained = net.log.filter((l) => l.includes("trained"))

  // Centralised: the same initial weights, all the data, as many passes as the network made (rounds × epochs).
  const central = await workload.build(tf, topology)
  const initial = getWeightBytes(central)
  started = performance.now()
  await bareFit(tf, workload, central, all, topology, { epochs: rounds * example.epochsPerRound, batchSize: example.batchSize ?? 32, learningRate: example.learningRate, optimizer: "adam", seed: 11 })
  const centralSeconds = (performance.now() - started) / 1000
  const centralMetric = workload.evaluate(tf, central, heldOut, topology)[example.objective.metric]
  // Bare TF.js throughput on one trainer's share (what a trainer's work item is timed against).
  setWeightBytes(tf, central, initial)
  const share = workload.decode(data.training[0]!, topology)
  started = performance.now()
  await bareFit(tf, workload, central, share, topology, { epochs: example.epochsPerRound, batchSize: example.batchSize ?? 32, learningRate: example.learningRate, optimizer: "adam", seed: 11 })
  const bareSamplesPerSecond = (share.count * example.epochsPerRound) / ((performance.now() - started) / 1000)
  central.dispose()

  return [
    compare(`${id}.network.${example.objective.metric}`, direction === "maximize" ? "higher is better" : "lower is better", networkMetric ?? NaN, { name: "centralised training on all data, same passes", value: centralMetric ?? NaN }, {
      outcome: end?.type,
      rounds,
      networkSeconds: round(networkSeconds, 1),
      centralSeconds: round(centralSeconds, 1),
      modelId: created.modelId,
      backend: loaded.backend
    }),
    compare(`${id}.network.trainerLogLines`, "samples/s (bare TF.js, one trainer's share)", bareSamplesPerSecond, { name: "bare TF.js on one trainer's share", value: bareSamplesPerSecond }, {
      trainerLogLines: trained.slice(0, 4),
      note: "the trainers' own lines from this run; their throughput beside bare TF.js, and validator cost, are in <id>.trainer.samplesPerSecond and <id>.validator.costPerResult"
    })
  ]
}
