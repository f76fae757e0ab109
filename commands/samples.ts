import { sha256Hex } from "../infra/contentHash"
import type { NeuraClient } from "./client"
import type { KeyPair } from "../infra/identity/signature"
import type { Hash32 } from "../domain/primitives"
import { defaultProtocol } from "../domain/protocol"
import { checkpointLeaf, merkleRoot, voteCommitment } from "../domain/task/commitments"
import { checkpointInterval } from "../domain/task/draw"

/**
 * Sample identities and payloads for the demo, the README's curl examples
 * and the tests. Keys are derived from names (dev only!), so examples are
 * reproducible.
 */
export { devKey } from "../infra/identity/devKeys"

export { sha256Hex }

export const sampleTopology = {
  class_name: "Sequential",
  config: {
    name: "digits_mlp",
    layers: [
      { class_name: "Dense", config: { name: "hidden", units: 32, activation: "relu", batch_input_shape: [null, 64] } },
      { class_name: "Dense", config: { name: "output", units: 10, activation: "softmax" } }
    ]
  }
}

export const registerNode = (client: NeuraClient, key: KeyPair, nodeId: string, roles: ReadonlyArray<string>) =>
  client.as(key).command("RegisterNode", { nodeId, publicKey: key.publicKey, roles, capabilities: ["tfjs-wasm"] })

/** The stake a sample node bonds before joining a task: enough for the default protocol's minimum. */
export const SAMPLE_STAKE = 10_000n

/** Bond stake for one task (a deterministic command id: a repeat bonds once) and join it; `commit` is the stake committed to it (the minimum by default). */
export const joinTask = async (client: NeuraClient, key: KeyPair, taskId: string, nodeId: string, role: "trainer" | "validator", stake = SAMPLE_STAKE, commit?: bigint) => {
  await client.as(key).command("BondStake", { nodeId, amount: stake.toString() }, { commandId: `bond-${nodeId}-${taskId}` })
  return client.as(key).command("JoinTask", { taskId, nodeId, role, ...(commit === undefined ? {} : { stake: commit.toString() }) })
}

export const registerModel = async (client: NeuraClient, initialWeightsHash = sha256Hex("initial weights")) => {
  const r = await client.command("RegisterModel", { name: "digits-mlp", description: "64-32-10 MLP", topology: sampleTopology, initialWeightsHash })
  return r.results[0]!.events[0]!.data.modelId as string
}

/** Two training shards and a validation set, content-addressed. */
export const registerDatasets = async (client: NeuraClient, suffix = "") => {
  await client.command("RegisterDataset", {
    datasetId: `digits-train${suffix}`,
    name: "UCI optical digits (training)",
    contentHash: sha256Hex(`train${suffix}`),
    licence: "CC-BY-4.0",
    sampleCount: 2000,
    split: "training",
    featureCount: 64,
    classCount: 10,
    shards: [
      { shardId: `s1${suffix}`, contentHash: sha256Hex(`shard1${suffix}`), sampleCount: 1000 },
      { shardId: `s2${suffix}`, contentHash: sha256Hex(`shard2${suffix}`), sampleCount: 1000 }
    ]
  })
  await client.command("RegisterDataset", {
    datasetId: `digits-val${suffix}`,
    name: "UCI optical digits (held-out)",
    contentHash: sha256Hex(`val${suffix}`),
    licence: "CC-BY-4.0",
    sampleCount: 500,
    split: "validation",
    featureCount: 64,
    classCount: 10,
    shards: []
  })
}

/** The sample model, its datasets and a task on them (the start of most walkthroughs and specs); the model's id. */
export const sampleTask = async (client: NeuraClient, taskId: string) => {
  const modelId = await registerModel(client)
  await registerDatasets(client)
  await client.command("CreateTask", taskPayload(taskId, modelId))
  return modelId
}

export const taskPayload = (taskId: string, modelId: string, suffix = "", overrides: Record<string, unknown> = {}) => ({
  taskId,
  title: "Digits classifier to 90%",
  base: { modelId, version: 1 },
  datasets: { training: [`digits-train${suffix}`], validation: `digits-val${suffix}` },
  objective: { metric: "accuracy", target: 0.9 },
  training: { epochsPerRound: 2, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 7 },
  criteria: {
    minTrainers: 2,
    validatorsPerResult: 3,
    quorum: 2,
    metricTolerance: 0.02,
    maxRounds: 3,
    roundDeadlineSeconds: 600,
    penalizeRejected: true
  },
  rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 1000 },
  budget: "3000000",
  ...overrides
})

/**
 * A made-up checkpoint commitment from `base` to `final` (64 steps under the
 * default protocol: a state every 4 steps): what a trainer commits, for
 * examples and tests that do not train.
 */
export const sampleCheckpoints = (base: string, final: string, steps = 64) => {
  const interval = checkpointInterval(steps, defaultProtocol.checkpoints)
  const count = Math.ceil(steps / interval) + 1
  const states = Array.from({ length: count }, (_, i) => ({
    weights: (i === 0 ? base : i === count - 1 ? final : sha256Hex(`weights ${i}`)) as Hash32,
    optimizer: sha256Hex(`optimizer ${i}`) as Hash32
  }))
  return { interval, states, root: merkleRoot(states.map(checkpointLeaf)) }
}

export const proofPayload = (baseWeightsHash: string, suffix = "", overrides: Record<string, unknown> = {}) => ({
  baseWeightsHash,
  seed: 7,
  shardIds: [`s1${suffix}`],
  shardHashes: [sha256Hex(`shard1${suffix}`)],
  epochs: 2,
  steps: 64,
  sampleCount: 1000,
  weightsHash: sha256Hex("trained weights"),
  metrics: { accuracy: 0.86, loss: 0.45 },
  backend: "wasm",
  checkpoints: sampleCheckpoints(baseWeightsHash, (overrides.weightsHash as string | undefined) ?? sha256Hex("trained weights")),
  ...overrides
})

/** The evidence an honest judge of `proof` reports for `audit`: a probe leaf (made up here) and the committed end leaf. */
export const sampleEvidence = (proof: { checkpoints: { states: ReadonlyArray<{ weights: string; optimizer: string }> } }, audit: { segment: number; probeStep: number }) => ({
  probeHash: sha256Hex(`probe ${audit.probeStep}`),
  endHash: checkpointLeaf(proof.checkpoints.states[audit.segment + 1]! as never)
})

/** A judge's vote over the API: commit it, then (once reveals are open) reveal it. */
export const commitAndReveal = async (
  client: NeuraClient,
  key: KeyPair,
  vote: { taskId: string; round: number; resultId: string; nodeId: string; verdict: "accept" | "reject"; measured: { accuracy: number; loss: number }; evidence: { probeHash: string; endHash: string } },
  reveal = true
) => {
  const salt = sha256Hex(`salt ${vote.nodeId} ${vote.resultId}`)
  const ids = { taskId: vote.taskId, round: vote.round, resultId: vote.resultId, nodeId: vote.nodeId }
  await client.as(key).command("CommitVote", { ...ids, commitment: voteCommitment({ ...ids, verdict: vote.verdict, evidence: vote.evidence as never, salt }) })
  return reveal ? () => client.as(key).command("CastVerificationVote", { ...vote, salt }) : undefined
}
