import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import { emptyEscrow, pay, remaining, splitProportionally, type Payout } from "../../../domain/ledger/ledger"
import type { Address, NodeId, ResultId, ShardId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { CastVerificationVote, ChallengeResult, CloseRound, CommitVote, DrawValidators, FinalizeResult, JoinTask, ResolveChallenge, StartRound, SubmitResult } from "../../../domain/task/commands"
import { checkpointLeaf, voteCommitment } from "../../../domain/task/commitments"
import { contestOf } from "../../../domain/task/votes"
import { settleRound } from "../../../domain/task/settle"
import type { TaskEvent } from "../../../domain/task/events"
import { address, hash32 } from "../../support/events"
import { STAKE, T0, at, createTask, criteria, modelId, owner, proof, shards, taskId } from "../../support/fixtures"

const round0 = (round: number) => round * 10_000
const payout = (amount: bigint): Payout => ({ recipient: address(1), role: "trainer", amount, reason: "t" })

describe("Neura ledger", () => {
  it("pays within the escrow and refuses the whole batch beyond it", () => {
    const escrow = { ...emptyEscrow, escrowed: 100n }
    const ok = pay(escrow, [payout(60n), payout(40n)])
    expect(Result.isSuccess(ok) && remaining(ok.success)).toBe(0n)
    expect(Result.isFailure(pay(escrow, [payout(60n), payout(41n)]))).toBe(true)
    expect(Result.isFailure(pay(escrow, [payout(-1n)]))).toBe(true)
  })

  it("splits proportionally, rounding down, never above the pot (property)", () =>
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.array(fc.bigInt({ min: -5n, max: 10n ** 9n }), { maxLength: 50 }), (pot, weights) => {
        const shares = splitProportionally(pot, weights.map((weight, key) => ({ key, weight })))
        const total = shares.reduce((s, x) => s + x.amount, 0n)
        expect(total <= pot).toBe(true)
        for (const s of shares) expect(s.amount > 0n && weights[s.key]! > 0n).toBe(true)
        // Dust is less than one unit per recipient.
        if (shares.length > 0 || weights.some((w) => w > 0n)) expect(pot - total < BigInt(weights.length) + 1n || pot === 0n).toBe(true)
      })
    ))

  /**
   * The whole lifecycle, driven by random behaviour: any number of rounds,
   * trainers, results, votes (honest or made-up evidence) and rulings, any
   * budget and split. Whatever happens, the task's payouts plus refunds never
   * exceed what was escrowed, a finished task has paid out or refunded
   * exactly all of it, no node loses more stake than it committed, and every
   * slash is exactly its referee's share plus what was burned.
   */
  it("payouts + refunds = escrow and slashes stay within stake, whatever the lifecycle (property)", async () => {
    let runsWithSlashes = 0
    let runsWithUpheldChallenges = 0
    const trainers = [0, 1, 2, 3].map((i) => ({ nodeId: `tr${i}` as NodeId, address: address(0x100 + i) }))
    const validators = [0, 1, 2, 3].map((i) => ({ nodeId: `va${i}` as NodeId, address: address(0x200 + i) }))
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          budget: fc.bigInt({ min: 1n, max: 10n ** 21n }),
          maxRounds: fc.integer({ min: 1, max: 4 }),
          split: fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 })).map(([a, b]) => {
            const [lo, hi] = a < b ? [a, b] : [b, a]
            return { trainersBps: lo, validatorsBps: hi - lo, dataProvidersBps: 10_000 - hi }
          }),
          rounds: fc.array(
            fc.record({
              submitters: fc.subarray([0, 1, 2, 3]),
              votes: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
              /** Per vote: report the honest evidence, or made-up evidence. */
              lies: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
              /** Per result: the referee's ruling says the trainer's run reproduces, or not. */
              trainerHonest: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
              accuracy: fc.double({ min: 0, max: 1, noNaN: true })
            }),
            { minLength: 1, maxLength: 4 }
          ),
          /** Per result awaiting finality, in order: 0 finalize it, 1 a challenge the referee refutes, 2 one it upholds. */
          fates: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 16, maxLength: 16 })
        }),
        async ({ budget, maxRounds, split, rounds, fates }) => {
          const history: Array<TaskEvent> = []
          const apply = (command: Parameters<typeof task.decide>[0]) => {
            const r = task.decide(command, fold(task, history))
            if (Result.isSuccess(r)) history.push(...r.success)
            return r
          }
          apply(createTask({ budget, rewardSplit: split, criteria: { ...criteria, maxRounds, minTrainers: 1, validatorsPerResult: 3, quorum: 2 } }))
          for (const n of [...trainers.map((t) => ({ ...t, role: "trainer" as const })), ...validators.map((v) => ({ ...v, role: "validator" as const }))]) {
            apply(
              new JoinTask({ taskId, nodeId: n.nodeId, role: n.role, actor: n.address, at: T0, node: { nodeId: n.nodeId, address: n.address, roles: [n.role], capabilities: [] }, stakeCommitted: STAKE })
            )
          }
          let version = 1
          for (const [i, plan] of rounds.entries()) {
            const round = i + 1
            const started = apply(
              new StartRound({
                taskId,
                round,
                actor: owner,
                at: at(round * 10_000),
                actorIsCoordinator: false,
                latestVersion: { modelId, version, weightsHash: hash32(version), owner, status: "registered" }
              })
            )
            if (Result.isFailure(started)) break
            for (const t of plan.submitters) {
              const resultId = `T1-r${round}-${trainers[t]!.nodeId}` as ResultId
              const shard = shards[t % 2]!
              const p = proof({ baseWeightsHash: hash32(version), weightsHash: hash32(0xf000 + round * 10 + t), shardIds: [shard.shardId as ShardId], shardHashes: [shard.contentHash] })
              apply(new SubmitResult({ taskId, round, resultId, nodeId: trainers[t]!.nodeId, proof: p, actor: trainers[t]!.address, at: at(round * 10_000 + 1) }))
              apply(new DrawValidators({ taskId, round, resultId, actor: owner, at: at(round * 10_000 + 1), resultCommitHash: hash32(0x5eed + round * 10 + t) }))
              const state = fold(task, history)
              const result = state.status === "running" ? state.round?.results.get(resultId) : undefined
              const assigned = result?.validators ?? []
              const truth = result?.audit ? checkpointLeaf(p.checkpoints.states[result.audit.segment + 1]!) : hash32(0)
              const ballots = assigned.map((nodeId, k) => {
                const lie = plan.lies[t * 3 + k]!
                const verdict: "accept" | "reject" = plan.votes[t * 3 + k] && !lie ? "accept" : "reject"
                const evidence = { probeHash: lie ? hash32(0xbad0 + k) : hash32(0x9000), endHash: lie ? hash32(0xbad0 + k) : truth }
                return { nodeId, verdict, evidence, salt: hash32(0x5a17 + k), actor: validators.find((x) => x.nodeId === nodeId)!.address as Address }
              })
              // Every judge commits, then every judge reveals.
              for (const b of ballots) {
                const commitment = voteCommitment({ resultId, nodeId: b.nodeId, verdict: b.verdict, evidence: b.evidence, salt: b.salt })
                apply(new CommitVote({ taskId, round, resultId, nodeId: b.nodeId, commitment, actor: b.actor, at: at(round * 10_000 + 2) }))
              }
              for (const b of ballots) {
                apply(
                  new CastVerificationVote({
                    taskId,
                    round,
                    resultId,
                    nodeId: b.nodeId,
                    verdict: b.verdict,
                    measured: { accuracy: plan.accuracy, loss: 1 },
                    evidence: b.evidence,
                    salt: b.salt,
                    actor: b.actor,
                    at: at(round * 10_000 + 3)
                  })
                )
              }
            }
            const open = fold(task, history)
            const rulings =
              open.status === "running"
                ? [...(open.round?.results.values() ?? [])]
                    .filter((r) => contestOf(r))
                    .map((r) => {
                      const honest = plan.trainerHonest[trainers.findIndex((x) => x.nodeId === r.nodeId)]
                      const truth = checkpointLeaf(r.proof.checkpoints.states[r.audit!.segment + 1]!)
                      return { resultId: r.resultId, evidence: { probeHash: hash32(0x9000), endHash: honest ? truth : hash32(0x7777) } }
                    })
                : []
            const settled = open.status === "running" && open.round ? settleRound(open.round, rulings, at(round * 10_000 + 5_000), true) : undefined
            const anyVerified = settled !== undefined && [...settled.results.values()].some((r) => r.outcome === "verified")
            if (anyVerified) version++
            apply(
              new CloseRound({
                taskId,
                round,
                actor: owner,
                at: at(round * 10_000 + 5_000),
                actorIsCoordinator: false,
                ...(rulings.length > 0 ? { rulings } : {}),
                ...(anyVerified ? { newVersion: { ref: { modelId, version }, metrics: { accuracy: plan.accuracy, loss: 1 } } } : {})
              })
            )
          }
          // The challenge windows: every result awaiting finality is finalized, or challenged and ruled on.
          const waiting = fold(task, history)
          const pendingResults = waiting.status === "none" ? [] : [...waiting.challengeable.values()]
          for (const [i, c] of pendingResults.entries()) {
            const fate = fates[i % fates.length]!
            const late = at(100_000 + i)
            if (fate === 0) {
              apply(new FinalizeResult({ taskId, resultId: c.resultId, actor: owner, at: late }))
              continue
            }
            const now = fold(task, history)
            const stakeLeft = (v: (typeof validators)[number]) => now.status !== "none" && STAKE - (now.slashed.get(v.nodeId) ?? 0n) > 0n
            const challenger = validators.find((v) => v.address !== c.trainer && stakeLeft(v))
            if (!challenger) {
              apply(new FinalizeResult({ taskId, resultId: c.resultId, actor: owner, at: late }))
              continue
            }
            const committed = checkpointLeaf(c.proof.checkpoints.states[1]!)
            apply(new ChallengeResult({ taskId, resultId: c.resultId, nodeId: challenger.nodeId, segment: 0, endHash: hash32(0xc0ffee), actor: challenger.address, at: at(round0(c.round) + 5_001) }))
            apply(new ResolveChallenge({ taskId, resultId: c.resultId, endHash: fate === 2 ? hash32(0xc0ffee) : committed, actor: owner, at: at(round0(c.round) + 5_002), actorIsCoordinator: false }))
            if (fate === 1) apply(new FinalizeResult({ taskId, resultId: c.resultId, actor: owner, at: late }))
          }
          const paid = history.reduce((s, e) => s + (e._tag === "RewardAllocated" ? e.amount : 0n), 0n)
          const refunded = history.reduce((s, e) => s + (e._tag === "BudgetRefunded" ? e.amount : 0n), 0n)
          const settledAll = fold(task, history)
          expect(settledAll.status === "none" || settledAll.challengeable.size === 0).toBe(true)
          expect(paid + refunded <= budget).toBe(true)
          for (const e of history) if (e._tag === "RewardAllocated") expect(e.amount > 0n).toBe(true)
          const final = settledAll
          if (final.status === "completed" || final.status === "exhausted") expect(paid + refunded).toBe(budget)
          const slashes = history.filter((e) => e._tag === "StakeSlashed")
          const byNode = new Map<string, bigint>()
          for (const e of slashes) {
            expect(e.amount > 0n && e.refereeReward + e.burned === e.amount).toBe(true)
            byNode.set(e.nodeId, (byNode.get(e.nodeId) ?? 0n) + e.amount)
          }
          for (const taken of byNode.values()) expect(taken <= STAKE).toBe(true)
          if (slashes.length > 0) runsWithSlashes++
          if (history.some((e) => e._tag === "ChallengeResolved" && e.upheld)) runsWithUpheldChallenges++
        }
      ),
      {
        numRuns: 200,
        // One lifecycle that surely reaches an upheld challenge and a slash, beside the random
        // ones: those reach one in ~4 % of cases, so 200 of them missed every one about once in
        // 6,600 runs and failed the checks below by chance.
        examples: [
          [
            {
              budget: 10n ** 18n,
              maxRounds: 1,
              split: { trainersBps: 5_000, validatorsBps: 3_000, dataProvidersBps: 2_000 },
              rounds: [{ submitters: [0, 1, 2, 3], votes: Array(12).fill(true), lies: Array(12).fill(false), trainerHonest: Array(4).fill(true), accuracy: 0.5 }],
              fates: Array(16).fill(2)
            }
          ]
        ]
      }
    )
    // Rulings and slashes were reached, so the checks above are not vacuous: surely in the
    // example, and in ~4 % of the random lifecycles besides.
    expect(runsWithSlashes).toBeGreaterThan(0)
    expect(runsWithUpheldChallenges).toBeGreaterThan(0)
  })
})
