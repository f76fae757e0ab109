import { digitRows, rowsHash, type Shard } from "../../infra/datasets/digits"
import { getWeightBytes } from "../../infra/ml/model"
import type { LoadedTf } from "../../infra/ml/tf"
import { digitsMlp, topologyOf } from "../../infra/ml/topologies"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import type { trainOnWork } from "../../nodes/trainer/train"
import type { TrainWork, VerifyWork } from "../../nodes/workItems"
import { defaultProtocol } from "../../domain/protocol"
import { auditOf } from "../../domain/task/draw"

/**
 * One digits work item outside any network (Verifier Engine tests, the
 * training bench): fresh MLP weights stored in `weights`, a TrainWork on one
 * shard, and the VerifyWork a validator would get for its result.
 */
export const sampleWork = async (options: {
  readonly tf: LoadedTf
  readonly weights: WeightsStoreShape
  readonly shard: Shard
  readonly initSeed: number
  readonly seed: number
  readonly epochs: number
}) => {
  const init = digitsMlp(options.tf.tf, options.initSeed)
  const initial = getWeightBytes(init)
  const topology = topologyOf(init)
  init.dispose()
  const work: TrainWork = {
    _tag: "TrainWork",
    taskId: "T" as never,
    round: 1,
    slot: 0,
    nodeId: "trainer" as never,
    modelId: "M-1" as never,
    topology,
    baseWeightsHash: (await options.weights.put(initial)) as never,
    shards: [{ shardId: "s1" as never, contentHash: options.shard.contentHash as never }],
    seed: options.seed,
    plan: { epochsPerRound: options.epochs, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 1 },
    validationHash: rowsHash(digitRows("validation")) as never,
    classCount: 10,
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
    topology,
    audit,
    proof: result.proof as never,
    shards: work.shards,
    plan: work.plan,
    validationHash: work.validationHash,
    classCount: 10,
    metricTolerance: 0.01
  })
  return { work, topology, initial, verifyFor }
}
