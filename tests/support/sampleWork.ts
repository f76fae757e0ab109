import { getWeightBytes } from "../../infra/ml/model"
import type { LoadedTf } from "../../infra/ml/tf"
import { inMemoryWeightsStore, type WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { shardLibrary } from "../../nodes/infra/dataLibrary"
import { layersTopology } from "../../nodes/workloadTask"
import { digits, digitsMlpLayers } from "../../workloads/digits"
import type { trainOnWork } from "../../nodes/trainer/train"
import type { TrainWork, VerifyWork } from "../../nodes/workItems"
import { defaultProtocol } from "../../domain/protocol"
import { auditOf } from "../../domain/task/draw"

/** The digits public data cut in four shards (the first is a work item's), and an in-memory datasets bucket holding them. */
export const digitsShards = async () => {
  const store = inMemoryWeightsStore()
  const cut = digits.publicData({ shards: 4, trainSamples: 3823, heldOutSamples: 1797 })
  const training = await Promise.all(cut.training.map((b) => store.put(b)))
  const validation = await store.put(cut.validation)
  return { store, data: shardLibrary(store), training, validation, bytes: cut }
}

/**
 * One digits work item outside any network (Verifier Engine tests, the
 * training bench): fresh MLP weights stored in `weights`, a TrainWork on the
 * first shard, and the VerifyWork a validator would get for its result.
 */
export const sampleWork = async (options: {
  readonly tf: LoadedTf
  readonly weights: WeightsStoreShape
  readonly shards: Awaited<ReturnType<typeof digitsShards>>
  readonly initSeed: number
  readonly seed: number
  readonly epochs: number
}) => {
  const init = digitsMlpLayers(options.tf.tf, options.initSeed)
  const initial = getWeightBytes(init)
  const topology = layersTopology(init)
  init.dispose()
  const work: TrainWork = {
    _tag: "TrainWork",
    taskId: "T" as never,
    round: 1,
    slot: 0,
    nodeId: "trainer" as never,
    modelId: "M-1" as never,
    workload: "digits",
    topology,
    baseWeightsHash: (await options.weights.put(initial)) as never,
    shards: [{ shardId: "s1" as never, contentHash: options.shards.training[0] as never }],
    seed: options.seed,
    plan: { epochsPerRound: options.epochs, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 1 },
    validationHash: options.shards.validation as never,
    checkpoints: defaultProtocol.checkpoints,
    deadline: new Date(Date.now() + 600_000).toISOString()
  }
  /** The judging work for a result, auditing the segment `drawSeed` picks (the system's seed is the result's commit hash). */
  const verifyFor = (result: Awaited<ReturnType<typeof trainOnWork>>, drawSeed = "0x5eed", audit = auditOf(drawSeed, result.proof.checkpoints.interval, result.proof.steps)!): VerifyWork => ({
    _tag: "VerifyWork",
    taskId: work.taskId,
    round: 1,
    resultId: result.resultId as never,
    nodeId: "validator" as never,
    trainerNodeId: work.nodeId,
    phase: "commit",
    workload: "digits",
    topology,
    audit,
    proof: result.proof as never,
    shards: work.shards,
    plan: work.plan,
    validationHash: work.validationHash,
    metric: "accuracy",
    metricTolerance: 0.01
  })
  return { work, topology, initial, verifyFor }
}
