import type { NeuraClient } from "../commands/client"
import { DIGITS_CLASSES, DIGITS_FEATURES, digitRows, rowsHash, shardRows } from "../infra/datasets/digits"
import { getWeightBytes } from "../infra/ml/model"
import type { LoadedTf } from "../infra/ml/tf"
import { digitsCnn, digitsMlp, topologyOf } from "../infra/ml/topologies"
import type { KeyPair } from "../infra/identity/signature"
import type { WeightsStoreShape } from "../infra/weights/WeightsStore"
import { joinTask, registerNode } from "../commands/samples"

/**
 * What a task owner does to put the digits problem on the network: upload
 * initial weights (content-addressed), register the model (topology), the
 * training data as content-hashed shards and the held-out set, then create
 * the task with its budget, criteria and reward split.
 */
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
  readonly minTrainers?: number
  readonly budget?: bigint
  readonly roundDeadlineSeconds?: number
}) => {
  const { tf } = options.tf
  const initial = (options.architecture ?? "mlp") === "cnn" ? digitsCnn(tf, 3) : digitsMlp(tf, 3)
  const initialWeightsHash = await options.weights.put(getWeightBytes(initial))
  const topology = topologyOf(initial)
  initial.dispose()
  const registered = await options.owner.command("RegisterModel", {
    name: `digits-${options.architecture ?? "mlp"}`,
    description: "UCI optical digits classifier",
    topology,
    initialWeightsHash
  })
  const modelId = registered.results[0]!.events[0]!.data.modelId as string

  const training = digitRows("training")
  const shards = shardRows(training, options.shards ?? 2, "s")
  const validation = digitRows("validation")
  const trainId = `digits-train${options.suffix}`
  const valId = `digits-val${options.suffix}`
  const common = { licence: "CC-BY-4.0", featureCount: DIGITS_FEATURES, classCount: DIGITS_CLASSES }
  await options.owner.command("RegisterDataset", {
    datasetId: trainId,
    name: "UCI optical digits (optdigits.tra)",
    contentHash: rowsHash(training),
    sampleCount: training.length,
    split: "training",
    shards: shards.map((s) => ({ shardId: `${trainId}-${s.shardId}`, contentHash: s.contentHash, sampleCount: s.sampleCount })),
    ...common
  })
  await options.owner.command("RegisterDataset", {
    datasetId: valId,
    name: "UCI optical digits held-out (optdigits.tes)",
    contentHash: rowsHash(validation),
    sampleCount: validation.length,
    split: "validation",
    shards: [],
    ...common
  })
  const budget = options.budget ?? 10_000_000n
  await options.owner.command("CreateTask", {
    taskId: options.taskId,
    title: `digits ${options.architecture ?? "mlp"} to ${(options.target ?? 0.93) * 100}% held-out accuracy`,
    base: { modelId, version: 1 },
    datasets: { training: [trainId], validation: valId },
    objective: { metric: "accuracy", target: options.target ?? 0.93 },
    training: { epochsPerRound: options.epochsPerRound ?? 1, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 11 },
    criteria: {
      minTrainers: options.minTrainers ?? 2,
      validatorsPerResult: 3,
      quorum: 2,
      metricTolerance: 0.01,
      maxRounds: options.maxRounds ?? 5,
      roundDeadlineSeconds: options.roundDeadlineSeconds ?? 300,
      penalizeRejected: true
    },
    rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 1000 },
    budget: budget.toString()
  })
  return { modelId, taskId: options.taskId, budget }
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
