import type { NeuraClient } from "../commands/client"
import { joinTask, registerNode } from "../commands/samples"
import { apiShardWriter } from "../commands/weightsClient"
import { sha256Hex } from "../infra/contentHash"
import type { KeyPair } from "../infra/identity/signature"
import { getWeightBytes } from "../infra/ml/model"
import type { LoadedTf } from "../infra/ml/tf"
import type { WeightsStoreShape } from "../infra/weights/WeightsStore"
import { digitsCnnLayers, digitsMlpLayers } from "../workloads/digits"
import { requireWorkload } from "../workloads/registry"
import type { DataSize } from "../workloads/workload"

/** The layers topology a TF.js model registers (model.toJSON without weights). */
export const layersTopology = (model: { toJSON: (a: null, b: boolean) => unknown }): Record<string, unknown> => model.toJSON(null, false) as Record<string, unknown>

export interface WorkloadTaskOptions {
  readonly owner: NeuraClient
  readonly weights: WeightsStoreShape
  readonly tf: LoadedTf
  readonly workload: string
  readonly topology: Record<string, unknown>
  readonly taskId: string
  /** Makes dataset ids unique per run (datasets are global). */
  readonly suffix: string
  readonly data: DataSize
  readonly objective: { readonly metric: string; readonly target: number }
  readonly maxRounds?: number
  readonly epochsPerRound?: number
  readonly batchSize?: number
  readonly learningRate?: number
  readonly minTrainers?: number
  readonly metricTolerance?: number
  readonly budget?: bigint
  readonly roundDeadlineSeconds?: number
  /** Train a model that is already registered (e.g. imported; version 1, topology as given) instead of a new one. */
  readonly baseModelId?: string
}

/**
 * What a task owner does to put a problem on the network: build the initial
 * model from the workload's topology and upload its weights; upload the
 * workload's public data as content-addressed shards (PUT /datasets/shards);
 * register the model and the datasets (naming the shard hashes and format);
 * then create the task naming the workload, with budget, criteria and split.
 */
export const createWorkloadTask = async (o: WorkloadTaskOptions) => {
  const { tf } = o.tf
  const workload = requireWorkload(o.workload)
  const register = async () => {
    const initial = await workload.build(tf, o.topology)
    const initialWeightsHash = await o.weights.put(getWeightBytes(initial))
    initial.dispose()
    const registered = await o.owner.command("RegisterModel", { name: `${workload.id}-model`, description: workload.title, topology: o.topology, initialWeightsHash })
    return registered.results[0]!.events[0]!.data.modelId as string
  }
  const modelId = o.baseModelId ?? (await register())

  const data = workload.publicData(o.data)
  const shards = apiShardWriter(o.owner.transport, o.owner.key)
  const upload = async (bytes: Uint8Array) => ({ contentHash: await shards.put(bytes), sampleCount: workload.decode(bytes, o.topology).count })
  const training = await Promise.all(data.training.map(upload))
  const validation = await upload(data.validation)
  const trainId = `${workload.id}-train${o.suffix}`
  const valId = `${workload.id}-val${o.suffix}`
  const common = { licence: workload.data.licence.slice(0, 100), format: workload.data.format }
  await o.owner.command("RegisterDataset", {
    datasetId: trainId,
    name: data.names.training,
    // The whole training set's address: SHA-256 of its shards' bytes in order.
    contentHash: sha256Hex(Buffer.concat(data.training.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)))),
    sampleCount: training.reduce((n, s) => n + s.sampleCount, 0),
    split: "training",
    shards: training.map((s, i) => ({ shardId: `${trainId}-s${i + 1}`, ...s })),
    ...(data.recipe ? { recipe: data.recipe.training } : {}),
    ...common
  })
  await o.owner.command("RegisterDataset", {
    datasetId: valId,
    name: data.names.validation,
    contentHash: validation.contentHash,
    sampleCount: validation.sampleCount,
    split: "validation",
    shards: [],
    ...(data.recipe ? { recipe: data.recipe.validation } : {}),
    ...common
  })
  const budget = o.budget ?? 10_000_000n
  await o.owner.command("CreateTask", {
    taskId: o.taskId,
    title: `${workload.id}: ${o.objective.metric} ${o.objective.target}`,
    workload: workload.id,
    base: { modelId, version: 1 },
    datasets: { training: [trainId], validation: valId },
    objective: o.objective,
    training: { epochsPerRound: o.epochsPerRound ?? 1, batchSize: o.batchSize ?? 32, learningRate: o.learningRate ?? 0.01, optimizer: "adam", seed: 11 },
    criteria: {
      minTrainers: o.minTrainers ?? 2,
      validatorsPerResult: 3,
      quorum: 2,
      metricTolerance: o.metricTolerance ?? 0.01,
      maxRounds: o.maxRounds ?? 5,
      roundDeadlineSeconds: o.roundDeadlineSeconds ?? 300,
      penalizeRejected: true
    },
    rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 1000 },
    budget: budget.toString()
  })
  return { modelId, taskId: o.taskId, budget, trainingShards: training, validation, trainingDatasetId: trainId }
}

/** The digits task of the first slice, on the workload path (demo and the protocol's tests use it). */
export const createDigitsTask = async (options: {
  readonly owner: NeuraClient
  readonly weights: WeightsStoreShape
  readonly tf: LoadedTf
  readonly taskId: string
  readonly suffix: string
  readonly architecture?: "mlp" | "cnn"
  readonly shards?: number
  readonly target?: number
  readonly maxRounds?: number
  readonly epochsPerRound?: number
  readonly learningRate?: number
  readonly minTrainers?: number
  readonly budget?: bigint
  readonly roundDeadlineSeconds?: number
}) => {
  const { tf } = options.tf
  const layers = (options.architecture ?? "mlp") === "cnn" ? digitsCnnLayers(tf, 3) : digitsMlpLayers(tf, 3)
  const topology = layersTopology(layers)
  layers.dispose()
  return createWorkloadTask({
    ...options,
    workload: "digits",
    topology,
    data: { shards: options.shards ?? 2, trainSamples: 3823, heldOutSamples: 1797 },
    objective: { metric: "accuracy", target: options.target ?? 0.93 }
  })
}

/** Nodes opt in: register their key (once), bond stake and join the task in their role. */
export const optIn = async (
  owner: NeuraClient,
  taskId: string,
  nodes: ReadonlyArray<{ nodeId: string; key: KeyPair; role: "trainer" | "validator"; stake?: bigint }>
) => {
  for (const n of nodes) {
    await registerNode(owner, n.key, n.nodeId, [n.role]).catch((e: { status?: number }) => {
      if (e.status !== 409) throw e
    })
    await joinTask(owner, n.key, taskId, n.nodeId, n.role, n.stake, n.stake)
  }
}
