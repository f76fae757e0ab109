import { basisPointsOf, splitProportionally, type Payout } from "../ledger/ledger"
import type { Address, Metrics, NodeId } from "../primitives"
import type { Objective, RewardSplit, TrainingShard } from "./events"
import { gainBps } from "./objective"
import type { RoundState } from "./state"

/**
 * The round's payouts, a pure function of what the log says about it:
 * - trainers: each verified result weighs its samples × (1 + verified
 *   improvement in the objective's metric over the round's base, objective.ts); rejected results earn nothing,
 *   and with `penalizeRejected` a trainer with any rejected result forfeits the
 *   round's trainer rewards;
 * - validators: one share per vote that agreed with the consensus outcome;
 * - data providers: the samples of their shards used by verified results.
 * Each pool is the round pot's split; shares round down; dust stays in escrow.
 */
export const roundPayouts = (input: {
  readonly round: RoundState
  readonly split: RewardSplit
  readonly shards: ReadonlyArray<TrainingShard>
  /** The round's base measurement (none before the first verified version) and the task's objective. */
  readonly base: Metrics | undefined
  readonly objective: Objective
  readonly penalizeRejected: boolean
}): ReadonlyArray<Payout> => {
  const { round, split } = input
  const results = [...round.results.values()]
  const verified = results.filter((r) => r.outcome === "verified")
  const penalizedNodes = new Set(
    input.penalizeRejected ? results.filter((r) => r.outcome === "rejected" && r.penalized).map((r) => r.nodeId) : []
  )

  const trainerWeights = verified
    .filter((r) => !penalizedNodes.has(r.nodeId))
    .map((r) => {
      const gain = gainBps(r.consensusMetrics, input.base, input.objective)
      return { key: { address: r.trainer, nodeId: r.nodeId, resultId: r.resultId }, weight: BigInt(r.proof.sampleCount) * BigInt(10_000 + gain) }
    })

  const validatorWeights = new Map<NodeId, { address: Address; weight: bigint }>()
  for (const r of results) {
    if (!r.outcome) continue
    const consensusVerdict = r.outcome === "verified" ? "accept" : "reject"
    for (const v of r.votes) {
      if (v.verdict !== consensusVerdict || v.disputed) continue
      const current = validatorWeights.get(v.nodeId) ?? { address: v.validator, weight: 0n }
      validatorWeights.set(v.nodeId, { address: v.validator, weight: current.weight + 1n })
    }
  }

  const shardById = new Map(input.shards.map((s) => [s.shardId as string, s]))
  const providerWeights = new Map<Address, bigint>()
  for (const r of verified) {
    for (const shardId of r.proof.shardIds) {
      const shard = shardById.get(shardId)
      if (shard) providerWeights.set(shard.provider, (providerWeights.get(shard.provider) ?? 0n) + BigInt(shard.sampleCount))
    }
  }

  const payouts: Array<Payout> = []
  for (const { key, amount } of splitProportionally(basisPointsOf(round.pot, split.trainersBps), trainerWeights)) {
    payouts.push({ recipient: key.address, nodeId: key.nodeId, resultId: key.resultId, role: "trainer", amount, reason: `verified training in round ${round.round}` })
  }
  const validators = [...validatorWeights.entries()].map(([nodeId, v]) => ({ key: { nodeId, address: v.address }, weight: v.weight }))
  for (const { key, amount } of splitProportionally(basisPointsOf(round.pot, split.validatorsBps), validators)) {
    payouts.push({ recipient: key.address, nodeId: key.nodeId, role: "validator", amount, reason: `votes agreeing with consensus in round ${round.round}` })
  }
  const providers = [...providerWeights.entries()].map(([address, weight]) => ({ key: address, weight }))
  for (const { key, amount } of splitProportionally(basisPointsOf(round.pot, split.dataProvidersBps), providers)) {
    payouts.push({ recipient: key, role: "dataProvider", amount, reason: `data used by verified results in round ${round.round}` })
  }
  return payouts
}
