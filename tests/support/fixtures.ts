import { RegisterDataset } from "../../domain/dataset/commands"
import type { DatasetEvent } from "../../domain/dataset/events"
import type { Address, DatasetId, Hash32, Metrics, ModelId, NodeId, PublicKey, ResultId, ShardId, TaskId } from "../../domain/primitives"
import { CastVerificationVote, CloseRound, CommitVote, CreateTask, DrawValidators, JoinTask, StartRound, SubmitResult } from "../../domain/task/commands"
import type { CheckpointState, SegmentEvidence, TaskEvent, TrainingProof, Verdict } from "../../domain/task/events"
import { defaultProtocol } from "../../domain/protocol"
import { checkpointLeaf, merkleRoot, voteCommitment } from "../../domain/task/commitments"
import { auditOf } from "../../domain/task/draw"
import { address, hash32 } from "./events"

/** Named actors and facts shared by the domain specs. */
export const T0 = "2026-11-24T10:00:00.000Z"
export const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString()

export const owner = address(0xa1)
export const coordinator = address(0xc0)
export const stranger = address(0xee)
export const taskId = "T1" as TaskId
export const modelId = "M-1" as ModelId

export const nodes = {
  trainerA: { nodeId: "trainerA" as NodeId, address: address(0x11) },
  trainerB: { nodeId: "trainerB" as NodeId, address: address(0x12) },
  validator1: { nodeId: "validator1" as NodeId, address: address(0x21) },
  validator2: { nodeId: "validator2" as NodeId, address: address(0x22) },
  validator3: { nodeId: "validator3" as NodeId, address: address(0x23) },
  /** Not in allJoined(): a spare validator for replacements. */
  validator4: { nodeId: "validator4" as NodeId, address: address(0x24) }
}
export const publicKeyOf = (n: number) => `0x02${n.toString(16).padStart(64, "0")}` as PublicKey

export const shards = [
  { datasetId: "digits-train" as DatasetId, shardId: "s1" as ShardId, contentHash: hash32(0x51), sampleCount: 1000, provider: owner },
  { datasetId: "digits-train" as DatasetId, shardId: "s2" as ShardId, contentHash: hash32(0x52), sampleCount: 1000, provider: address(0xd1) }
]

export const criteria = {
  minTrainers: 2,
  validatorsPerResult: 3,
  quorum: 2,
  metricTolerance: 0.02,
  maxRounds: 3,
  roundDeadlineSeconds: 600,
  penalizeRejected: true
}

/** What the registry says about the digits workload (commands/workloadFacts.ts). */
export const digitsWorkloadFacts = {
  workloadId: "digits",
  datasetFormat: "digits-csv",
  metrics: [
    { name: "accuracy", direction: "maximize" as const },
    { name: "loss", direction: "minimize" as const }
  ]
}

export const createTask = (overrides: Partial<ConstructorParameters<typeof CreateTask>[0]> = {}) =>
  new CreateTask({
    taskId,
    title: "digits MLP",
    base: { modelId, version: 1 },
    datasets: { training: ["digits-train" as DatasetId], validation: "digits-val" as DatasetId },
    objective: { metric: "accuracy", target: 0.9 },
    training: { epochsPerRound: 2, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 7 },
    criteria,
    rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 1000 },
    budget: 3_000_000n,
    actor: owner,
    at: T0,
    baseModel: { modelId, version: 1, weightsHash: hash32(0xb0), owner, status: "registered" },
    workloadFacts: digitsWorkloadFacts,
    trainingDatasets: [
      {
        datasetId: "digits-train" as DatasetId,
        split: "training", format: "digits-csv",
        contentHash: hash32(0x50),
        sampleCount: 2000,
        shards: shards.map(({ datasetId: _d, ...s }) => s)
      }
    ],
    validationDataset: { datasetId: "digits-val" as DatasetId, split: "validation", format: "digits-csv", contentHash: hash32(0x60), sampleCount: 500, shards: [] },
    protocol: defaultProtocol,
    ...overrides
  })

/** The events CreateTask produces with the defaults above. */
export const taskCreated = (): ReadonlyArray<TaskEvent> => {
  const c = createTask()
  return [
    {
      _tag: "TaskCreated",
      taskId,
      title: c.title,
      owner,
      workload: "digits",
      base: { modelId, version: 1, weightsHash: hash32(0xb0) },
      trainingShards: shards,
      validation: { datasetId: "digits-val" as DatasetId, contentHash: hash32(0x60), sampleCount: 500 },
      objective: { ...c.objective, direction: "maximize" },
      training: c.training,
      criteria: c.criteria,
      rewardSplit: c.rewardSplit,
      budget: c.budget,
      protocol: defaultProtocol,
      createdAt: T0
    },
    { _tag: "BudgetEscrowed", taskId, owner, amount: 3_000_000n, escrowedAt: T0 }
  ]
}

export const STAKE = 10_000n
export const joined = (name: keyof typeof nodes, role: "trainer" | "validator", joinedAt = T0, stake = STAKE): TaskEvent => ({
  _tag: "NodeJoinedTask",
  taskId,
  nodeId: nodes[name].nodeId,
  address: nodes[name].address,
  role,
  capabilities: ["tfjs-wasm"],
  stake,
  joinedAt
})

export const allJoined = (): ReadonlyArray<TaskEvent> => [
  joined("trainerA", "trainer"),
  joined("trainerB", "trainer"),
  joined("validator1", "validator"),
  joined("validator2", "validator"),
  joined("validator3", "validator")
]

export const roundStarted = (round = 1, pot = 1_000_000n, weightsHash = hash32(0xb0), version = 1): TaskEvent => ({
  _tag: "RoundStarted",
  taskId,
  round,
  base: { modelId, version, weightsHash },
  pot,
  startedAt: at(0),
  deadline: at(600)
})

export const nodeFacts = (name: keyof typeof nodes, roles: ReadonlyArray<"trainer" | "validator" | "dataProvider" | "owner">) => ({
  nodeId: nodes[name].nodeId,
  address: nodes[name].address,
  roles: [...roles],
  capabilities: ["tfjs-wasm"]
})

export const joinTask = (name: keyof typeof nodes, role: "trainer" | "validator", overrides: Partial<ConstructorParameters<typeof JoinTask>[0]> = {}) =>
  new JoinTask({ taskId, nodeId: nodes[name].nodeId, role, actor: nodes[name].address, at: at(1), node: nodeFacts(name, [role]), stakeCommitted: STAKE, ...overrides })

export const startRound = (round = 1, overrides: Partial<ConstructorParameters<typeof StartRound>[0]> = {}) =>
  new StartRound({
    taskId,
    round,
    actor: owner,
    at: at(0),
    actorIsCoordinator: false,
    latestVersion: { modelId, version: 1, weightsHash: hash32(0xb0), owner, status: "registered" },
    ...overrides
  })

/** Derived result ids (undispatched round 1). */
export const rA = "T1-r1-trainerA" as ResultId
export const rB = "T1-r1-trainerB" as ResultId
/** The seed the specs' draws use (in the system: the hash of the commit that recorded the result). */
export const SEED = hash32(0x5eed)

/** A checkpoint commitment from `base` to `final` over `steps` steps (interval 4 for 64 steps under the default protocol). */
export const checkpoints = (base: Hash32 = hash32(0xb0), final: Hash32 = hash32(0xf1), steps = 64, interval = 4) => {
  const count = Math.ceil(steps / interval) + 1
  const states: Array<CheckpointState> = Array.from({ length: count }, (_, i) => ({
    weights: i === 0 ? base : i === count - 1 ? final : hash32(0x1000 + i),
    optimizer: hash32(0x2000 + i)
  }))
  return { interval, states, root: merkleRoot(states.map(checkpointLeaf)) }
}

export const proof = (overrides: Partial<TrainingProof> = {}): TrainingProof => ({
  baseWeightsHash: hash32(0xb0),
  seed: 7,
  shardIds: ["s1" as ShardId],
  shardHashes: [hash32(0x51)],
  epochs: 2,
  steps: 64,
  sampleCount: 1000,
  weightsHash: hash32(0xf1),
  metrics: { accuracy: 0.8, loss: 0.6 },
  backend: "wasm",
  checkpoints: checkpoints(overrides.baseWeightsHash, overrides.weightsHash),
  ...overrides
})

export const submitResult = (name: "trainerA" | "trainerB", resultId?: string, overrides: Partial<ConstructorParameters<typeof SubmitResult>[0]> = {}) =>
  new SubmitResult({
    taskId,
    round: 1,
    resultId: (resultId ?? `T1-r1-${nodes[name].nodeId}`) as ResultId,
    nodeId: nodes[name].nodeId,
    proof: proof(),
    actor: nodes[name].address,
    at: at(100),
    ...overrides
  })

export const drawValidators = (resultId: string, overrides: Partial<ConstructorParameters<typeof DrawValidators>[0]> = {}) =>
  new DrawValidators({ taskId, round: 1, resultId: resultId as ResultId, actor: stranger, at: at(100), resultCommitHash: SEED, ...overrides })

/** The audit the specs' seed picks for the default proof, and what an honest judge reports for it. */
export const audit = () => auditOf(SEED, 4, 64)!
export const honestEvidence = (p: TrainingProof = proof()): SegmentEvidence => ({
  probeHash: hash32(0x9000 + audit().probeStep),
  endHash: checkpointLeaf(p.checkpoints.states[audit().segment + 1]!)
})
export const saltOf = (name: string) => hash32(0x5a17 + name.length * 7 + name.charCodeAt(name.length - 1))

type Judge = "validator1" | "validator2" | "validator3" | "validator4"
export const commitVote = (name: Judge, resultId: string, verdict: Verdict, evidence: SegmentEvidence = honestEvidence(), overrides: Partial<ConstructorParameters<typeof CommitVote>[0]> = {}) =>
  new CommitVote({
    taskId,
    round: 1,
    resultId: resultId as ResultId,
    nodeId: nodes[name].nodeId,
    commitment: voteCommitment({ resultId, nodeId: nodes[name].nodeId, verdict, evidence, salt: saltOf(name) }),
    actor: nodes[name].address,
    at: at(110),
    ...overrides
  })

/** The reveal of the vote `commitVote` committed (same verdict and evidence); it opens at the commit deadline (at(160)) at the latest. */
export const vote = (
  name: Judge,
  resultId: string,
  verdict: Verdict,
  measured: Metrics = { accuracy: 0.8, loss: 0.6 },
  overrides: Partial<ConstructorParameters<typeof CastVerificationVote>[0]> = {}
) =>
  new CastVerificationVote({
    taskId,
    round: 1,
    resultId: resultId as ResultId,
    nodeId: nodes[name].nodeId,
    verdict,
    measured,
    evidence: honestEvidence(),
    salt: saltOf(name),
    actor: nodes[name].address,
    at: at(200),
    ...overrides
  })

export const closeRound = (overrides: Partial<ConstructorParameters<typeof CloseRound>[0]> = {}) =>
  new CloseRound({ taskId, round: 1, actor: owner, at: at(300), actorIsCoordinator: false, ...overrides })

export const registerDataset = (overrides: Partial<ConstructorParameters<typeof RegisterDataset>[0]> = {}) =>
  new RegisterDataset({
    datasetId: "digits-train" as DatasetId,
    name: "UCI digits (training)",
    contentHash: hash32(0x50),
    licence: "CC-BY-4.0",
    sampleCount: 2000,
    split: "training", format: "digits-csv",
    featureCount: 64,
    classCount: 10,
    shards: [
      { shardId: "s1" as ShardId, contentHash: hash32(0x51), sampleCount: 1000 },
      { shardId: "s2" as ShardId, contentHash: hash32(0x52), sampleCount: 1000 }
    ],
    actor: owner,
    at: T0,
    ...overrides
  })

export const datasetRegisteredEvent = (): DatasetEvent => ({
  _tag: "DatasetRegistered",
  datasetId: "digits-train" as DatasetId,
  name: "UCI digits (training)",
  contentHash: hash32(0x50),
  licence: "CC-BY-4.0",
  sampleCount: 2000,
  split: "training", format: "digits-csv",
  featureCount: 64,
  classCount: 10,
  shards: [
    { shardId: "s1" as ShardId, contentHash: hash32(0x51), sampleCount: 1000, provider: owner },
    { shardId: "s2" as ShardId, contentHash: hash32(0x52), sampleCount: 1000, provider: owner }
  ],
  registeredBy: owner,
  registeredAt: T0
})

export type { Address, Hash32 }
