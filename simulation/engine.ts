import { Result, Schema } from "effect"
import type { Address, DatasetId, Hash32, ModelId, NodeId, ResultId, ShardId, TaskId } from "../domain/primitives"
import { defaultProtocol, type ProtocolParams } from "../domain/protocol"
import { task } from "../domain/task"
import {
  AnswerDispute,
  CastVerificationVote,
  ChallengeResult,
  CloseRound,
  CommitVote,
  CreateTask,
  DrawValidators,
  FinalizeResult,
  JoinTask,
  ResolveChallenge,
  StartRound,
  SubmitResult
} from "../domain/task/commands"
import { checkpointLeaf, merkleRoot, voteCommitment } from "../domain/task/commitments"
import { checkpointInterval, segmentBounds } from "../domain/task/draw"
import { TaskEvent, type CheckpointState } from "../domain/task/events"
import type { TaskState } from "../domain/task/state"
import { contestOf } from "../domain/task/votes"
import { rule } from "./referee"
import { evidenceOf, forgedChain, h, leavesOf, replay } from "./training"
import { EMPTY_TIP, sealCommit, type ChainTip } from "../infra/eventStore/hashChain"
import type { SimNode } from "./population"
import type { Tally } from "./tally"
export { emptyTally, type Tally } from "./tally"

/**
 * The network's protocol run for real on simulated nodes: every command goes
 * through the task decider, every decision is sealed onto a hash chain with
 * the event store's own `sealCommit` (so each draw's seed is a real commit
 * hash), and only the training is replaced by a deterministic model of it
 * (training.ts: step k from state s is H(s, k)). A forger commits made-up
 * states for the segments it skipped; an honest judge re-executes the
 * audited segment step by step; a lazy judge copies the committed end state
 * and invents the rest; the attacker's Sybil judges vouch for the forger's
 * states on the attacker's results. A contested result's trainer opens the
 * audited segment, and the referee replays the one step each dispute comes
 * down to (bisection); every such ruling is checked against what replaying
 * the whole segment would have decided.
 */
const encodeEvent = Schema.encodeSync(TaskEvent)
const T0 = Date.parse("2026-01-01T00:00:00.000Z")
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString()

const STEPS = 64 // 1000 samples, batches of 32, 2 epochs
const SHARD = { datasetId: "sim-train" as DatasetId, shardId: "sim-s1" as ShardId, contentHash: h("shard"), sampleCount: 1000 }


export interface TaskRun {
  readonly taskId: string
  readonly trainers: ReadonlyArray<SimNode>
  readonly validators: ReadonlyArray<SimNode>
  readonly rounds: number
  readonly validatorsPerResult: number
  readonly quorum: number
  readonly stake: bigint
  readonly evalCost: number
  readonly random: () => number
  readonly protocol?: ProtocolParams
  /** Honest validators that also watch every result awaiting finality (each re-executes one random segment). */
  readonly watchers: number
}

const owner = h("owner").slice(0, 42) as Address
const coordinator = h("coordinator").slice(0, 42) as Address

export const runTask = (run: TaskRun, chain: { tip: ChainTip }, tally: Tally) => {
  const protocol = run.protocol ?? defaultProtocol
  let state: TaskState = task.initialState
  let clock = 0
  const byNode = new Map([...run.trainers, ...run.validators].map((n) => [n.nodeId as string, n]))
  const attacker = (nodeId: string) => ["forger", "sybil"].includes(byNode.get(nodeId)?.kind ?? "")
  /** Decide, seal onto the chain, evolve; the commit's last hash is returned. */
  const apply = (command: Parameters<typeof task.decide>[0]): { events: ReadonlyArray<TaskEvent>; hash?: Hash32 } => {
    const decision = task.decide(command, state)
    if (Result.isFailure(decision)) throw new Error(`${command._tag} refused: ${JSON.stringify(decision.failure)}`)
    const events = decision.success
    if (events.length === 0) return { events }
    const sealed = sealCommit({
      tip: chain.tip,
      stream: `task-${run.taskId}`,
      firstStreamPosition: tally.events,
      events: events.map((e) => encodeEvent(e)),
      metadata: { commandId: `sim-${tally.events}`, actor: owner, issuedAt: at(clock) } as never,
      recordedAt: at(clock)
    })
    chain.tip = sealed.tip
    tally.events += events.length
    for (const e of events) state = task.evolve(state, e)
    return { events, hash: sealed.events[0]!.hash as Hash32 }
  }
  const taskId = run.taskId as TaskId
  const modelId = "M-1" as ModelId
  apply(
    new CreateTask({
      taskId,
      title: "simulated",
      base: { modelId, version: 1 },
      datasets: { training: [SHARD.datasetId], validation: "sim-val" as DatasetId },
      objective: { metric: "accuracy", target: 1 },
      training: { epochsPerRound: 2, batchSize: 32, learningRate: 0.01, optimizer: "sgd", seed: 1 },
      criteria: {
        minTrainers: 1,
        validatorsPerResult: run.validatorsPerResult,
        quorum: run.quorum,
        metricTolerance: 1,
        maxRounds: run.rounds,
        roundDeadlineSeconds: 3600,
        penalizeRejected: true
      },
      rewardSplit: { trainersBps: 7000, validatorsBps: 3000, dataProvidersBps: 0 },
      budget: 1_000_000n * BigInt(run.rounds),
      actor: owner,
      at: at(clock),
      baseModel: { modelId, version: 1, weightsHash: h("base", 1), owner, status: "registered" },
      workloadFacts: { workloadId: "digits", datasetFormat: "digits-csv", metrics: [{ name: "accuracy", direction: "maximize" }] },
      trainingDatasets: [{ datasetId: SHARD.datasetId, split: "training", format: "digits-csv", contentHash: h("train"), sampleCount: 1000, shards: [{ shardId: SHARD.shardId, contentHash: SHARD.contentHash, sampleCount: 1000, provider: owner }] }],
      validationDataset: { datasetId: "sim-val" as DatasetId, split: "validation", format: "digits-csv", contentHash: h("val"), sampleCount: 500, shards: [] },
      protocol
    })
  )
  for (const n of [...run.trainers, ...run.validators]) {
    apply(new JoinTask({ taskId, nodeId: n.nodeId, role: n.role, actor: n.address, at: at(clock), node: { nodeId: n.nodeId, address: n.address, roles: [n.role], capabilities: [] }, stakeCommitted: run.stake }))
  }
  const interval = checkpointInterval(STEPS, protocol.checkpoints)
  const segments = Math.ceil(STEPS / interval)
  let version = 1
  for (let round = 1; round <= run.rounds; round++) {
    clock += 10_000
    const base: CheckpointState = { weights: h("base", version), optimizer: h("opt0") }
    apply(new StartRound({ taskId, round, actor: owner, at: at(clock), actorIsCoordinator: false, latestVersion: { modelId, version, weightsHash: base.weights, owner, status: "registered" } }))
    const truths = new Map<string, ReadonlyArray<CheckpointState>>()
    const answers = new Map<string, ReadonlyArray<CheckpointState>>()
    const skippedBy = new Map<string, number>()
    for (const t of run.trainers) {
      if (t.kind === "offline") continue
      // The run: honest states, or (a forger) made-up states for a random set of skipped segments.
      const skipped = new Set<number>()
      if (t.kind === "forger") {
        const k = 1 + Math.floor(run.random() * segments)
        while (skipped.size < k) skipped.add(Math.floor(run.random() * segments))
      }
      const states: Array<CheckpointState> = [base]
      for (let i = 0; i < segments; i++) {
        const { from, to } = segmentBounds(i, interval, STEPS)
        states.push(skipped.has(i) ? { weights: h("fake", t.nodeId, round, i), optimizer: h("fake-o", t.nodeId, round, i) } : replay(states[i]!, from, to).at(-1)!)
      }
      if (t.kind !== "forger") tally.trainerUnits += STEPS
      const resultId = `${run.taskId}-r${round}-${t.nodeId}` as ResultId
      const proof = {
        baseWeightsHash: base.weights,
        seed: 1,
        shardIds: [SHARD.shardId],
        shardHashes: [SHARD.contentHash],
        epochs: 2,
        steps: STEPS,
        sampleCount: 1000,
        weightsHash: states[segments]!.weights,
        metrics: { accuracy: 0.9, loss: 0.3 },
        backend: "sim",
        checkpoints: { interval, states, root: merkleRoot(states.map(checkpointLeaf)) }
      }
      const submitted = apply(new SubmitResult({ taskId, round, resultId, nodeId: t.nodeId, proof, actor: t.address, at: at(clock + 1) }))
      apply(new DrawValidators({ taskId, round, resultId, actor: coordinator, at: at(clock + 1), resultCommitHash: submitted.hash! }))
      const result = state.status === "running" ? state.round!.results.get(resultId)! : undefined
      if (!result?.audit) continue
      truths.set(resultId, states)
      skippedBy.set(resultId, skipped.size)
      tally.results++
      const { segment: seg, probeStep } = result.audit
      const { from, to } = segmentBounds(seg, interval, STEPS)
      const start = states[seg]!
      const truth = evidenceOf(leavesOf(replay(start, from, to)), probeStep, from)
      const committedEnd = checkpointLeaf(states[seg + 1]!)
      // What the trainer opens the segment with in a dispute (a skipped one breaks at a random step).
      const answer = skipped.has(seg) ? forgedChain(start, from, to, from + 1 + Math.floor(run.random() * (to - from)), states[seg + 1]!, resultId) : replay(start, from, to)
      const vouched = evidenceOf(leavesOf(answer), probeStep, from)
      const invented = (v: string) => evidenceOf([...Array.from({ length: to - from - 1 }, (_, i) => h("lazy", v, resultId, i)), committedEnd], probeStep, from)
      if (t.kind === "forger") {
        tally.forged++
        tally.skippedFraction += skipped.size / segments
        if (skipped.size === segments) tally.fullyForged++
        const judgesAllAttacker = result.validators.every((v) => attacker(v))
        if (judgesAllAttacker) tally.allJudgesAttacker++
        // Only a judge that re-executes can dispute a forgery (a lazy one copies the committed end).
        const honestJudge = result.validators.some((v) => byNode.get(v)?.kind === "honest")
        tally.predictedCatch += (skipped.size / segments) * (honestJudge ? 1 : 0)
      }
      const ballots = result.validators.flatMap((v) => {
        const judge = byNode.get(v)!
        if (judge.kind === "offline") return []
        const colluding = judge.kind === "sybil" && t.kind === "forger"
        if (judge.kind === "lazy") tally.lazyVotes++
        const evidence = colluding ? vouched : judge.kind === "lazy" ? invented(v) : truth
        if (judge.kind === "honest" || (judge.kind === "sybil" && !colluding)) tally.judgeUnits += interval + run.evalCost
        const verdict = evidence.endHash === committedEnd ? ("accept" as const) : ("reject" as const)
        return [{ judge, evidence, verdict, salt: h("salt", v, resultId) }]
      })
      for (const b of ballots) {
        const commitment = voteCommitment({ resultId, nodeId: b.judge.nodeId, verdict: b.verdict, evidence: b.evidence, salt: b.salt })
        apply(new CommitVote({ taskId, round, resultId, nodeId: b.judge.nodeId, commitment, actor: b.judge.address, at: at(clock + 2) }))
      }
      for (const b of ballots) {
        apply(
          new CastVerificationVote({
            taskId, round, resultId, nodeId: b.judge.nodeId, verdict: b.verdict, measured: { accuracy: 0.9, loss: 0.3 }, evidence: b.evidence, salt: b.salt, actor: b.judge.address,
            at: at(clock + 2 + protocol.commitSeconds)
          })
        )
      }
      const judged = state.status === "running" ? state.round!.results.get(resultId)! : undefined
      answers.set(resultId, answer)
      if (judged && contestOf(judged)) apply(new AnswerDispute({ taskId, round, resultId, nodeId: t.nodeId, states: answer, actor: t.address, at: at(clock + 3 + protocol.commitSeconds) }))
    }
    const { rulings, settled } = rule({ state: () => state, apply, nodes: byNode, answers, truths, taskId, round, at: (offset) => at(clock + offset) }, tally)
    const verified = [...settled.results.values()].filter((r) => r.outcome === "verified")
    for (const r of [...settled.results.values()]) {
      if (!byNode.get(r.nodeId) || byNode.get(r.nodeId)!.kind !== "forger") continue
      if (r.outcome === "verified") tally.forgedAccepted++
      else {
        tally.forgedCaught++
        tally.forgedCaughtTotal++
      }
    }
    if (verified.length > 0) version++
    const closed = apply(
      new CloseRound({
        taskId, round, actor: coordinator, at: at(clock + 5000), actorIsCoordinator: true,
        ...(rulings.length > 0 ? { rulings } : {}),
        ...(verified.length > 0 ? { newVersion: { ref: { modelId, version }, metrics: { accuracy: 0.9, loss: 0.3 } } } : {})
      })
    )
    const settle = (events: ReadonlyArray<TaskEvent>) => {
      for (const e of events) {
        if (e._tag === "RewardAllocated") {
          tally.paid.set(e.recipient, (tally.paid.get(e.recipient) ?? 0n) + e.amount)
          if (e.nodeId && byNode.get(e.nodeId)?.kind === "forger") tally.forgerPaid += e.amount
          else if (e.role === "trainer") tally.honestTrainerPaid += e.amount
        }
        if (e._tag === "StakeSlashed") {
          tally.slashed.set(e.address, (tally.slashed.get(e.address) ?? 0n) + e.amount)
          tally.refereeEarned += e.refereeReward
        }
        if (e._tag === "RoundClosed") for (const d of e.disputedVotes ?? []) if (byNode.get(d.nodeId)?.kind === "lazy") tally.lazyProvenWrong++
      }
    }
    settle(closed.events)
    // The challenge window: each watcher re-executes one segment of its choosing per result awaiting finality.
    // Honest validators with stake left in the task (a jury the attacker outweighed may have slashed one).
    const stakeLeft = (nodeId: string) => (state.status === "none" ? 0n : (state.participants.get(nodeId as never)?.stake ?? 0n) - (state.slashed.get(nodeId as never) ?? 0n))
    const watchers = run.validators.filter((v) => v.kind === "honest" && stakeLeft(v.nodeId) > 0n).slice(0, run.watchers)
    const pendingResults = state.status === "none" ? [] : [...state.challengeable.values()]
    for (const c of pendingResults) {
      const states = truths.get(c.resultId)!
      const forged = byNode.get(c.nodeId)?.kind === "forger"
      if (forged) tally.predictedWatcherCatch += 1 - (1 - skippedBy.get(c.resultId)! / segments) ** watchers.length
      let challenged = false
      for (const w of watchers) {
        const segment = Math.floor(run.random() * segments)
        tally.watcherUnits += interval
        const { from, to } = segmentBounds(segment, interval, STEPS)
        const endHash = checkpointLeaf(replay(states[segment]!, from, to).at(-1)!)
        if (endHash === checkpointLeaf(states[segment + 1]!)) continue
        apply(new ChallengeResult({ taskId, resultId: c.resultId, nodeId: w.nodeId, segment, endHash, actor: w.address, at: at(clock + 5001) }))
        tally.refereeUnits += interval
        settle(apply(new ResolveChallenge({ taskId, resultId: c.resultId, endHash, actor: coordinator, at: at(clock + 5002), actorIsCoordinator: true })).events)
        challenged = true
        if (forged) {
          tally.overturned++
          tally.forgedCaughtTotal++
        }
        break
      }
      if (challenged) continue
      settle(apply(new FinalizeResult({ taskId, resultId: c.resultId, actor: coordinator, at: at(clock + 5001 + protocol.challengeSeconds) })).events)
      if (forged) {
        tally.forgedFinal++
        if (skippedBy.get(c.resultId) === segments) tally.fullyForgedFinal++
      } else tally.honestVerified++
    }
  }
}

export const newChain = () => ({ tip: EMPTY_TIP })
export type { NodeId }
