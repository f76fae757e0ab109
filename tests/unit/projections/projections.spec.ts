import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { DomainEvent } from "../../../domain/events"
import type { ResultId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import type { TaskEvent } from "../../../domain/task/events"
import { FinalizeResult } from "../../../domain/task/commands"
import { PAGE_SIZE as PAYOUT_PAGE } from "../../../domain/pagedList"
import { servedBalance, type StoredBalance } from "../../../projections/balances"
import type { LeaderboardDoc } from "../../../projections/leaderboards"
import { lineageGraph, servedModel, type StoredModel } from "../../../projections/models"
import { servedNode, type StoredNode } from "../../../projections/nodes"
import { keepSample, ReadModels, rebuild } from "../../../projections/projector"
import type { TaskDoc } from "../../../projections/tasks"
import { recorded } from "../../support/envelopes"
import { hash32 } from "../../support/events"
import { STAKE, allJoined, at, closeRound, commitVote, drawValidators, honestEvidence, modelId, nodes, owner, rA, rB, roundStarted, submitResult, taskCreated, vote } from "../../support/fixtures"

/** A full round through the real decider, as commits (one per command). */
const roundCommits = (): Array<ReadonlyArray<DomainEvent>> => {
  const commits: Array<ReadonlyArray<TaskEvent>> = [taskCreated(), ...allJoined().map((e) => [e]), [roundStarted()]]
  const decide = (c: Parameters<typeof task.decide>[0]) => {
    const r = task.decide(c, fold(task, commits.flat()))
    if (Result.isFailure(r)) throw new Error(JSON.stringify(r.failure))
    commits.push(r.success)
  }
  type Ballot = readonly ["validator1" | "validator2" | "validator3", "accept" | "reject", ReturnType<typeof honestEvidence>?]
  // Every judge commits before any reveals (no commitment once a vote is revealed).
  const judge = (resultId: string, ...ballots: Array<Ballot>) => {
    for (const [name, verdict, evidence] of ballots) decide(commitVote(name, resultId, verdict, evidence ?? honestEvidence()))
    for (const [name, verdict, evidence] of ballots) decide(vote(name, resultId, verdict, undefined, { resultId: resultId as ResultId, evidence: evidence ?? honestEvidence() }))
  }
  decide(submitResult("trainerA"))
  decide(drawValidators(rA))
  // validator2 is lazy: the trainer's end leaf copied, the probe made up. The referee's ruling slashes it.
  judge(rA, ["validator1", "accept"], ["validator2", "accept", { ...honestEvidence(), probeHash: hash32(0x1a2) }])
  decide(submitResult("trainerB", rB, { proof: { ...submitResult("trainerA").proof, shardIds: ["s2" as never], shardHashes: [hash32(0x52)] } }))
  decide(drawValidators(rB))
  judge(rB, ["validator1", "reject"], ["validator3", "reject"])
  decide(
    closeRound({
      newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.86, loss: 0.4 } },
      rulings: [{ resultId: rA, evidence: honestEvidence() }],
      at: at(700)
    })
  )
  // The challenge window passes: rA is final and its trainer paid.
  decide(new FinalizeResult({ taskId: "T1" as never, resultId: rA, actor: owner, at: at(1001) }))
  const registrations: Array<ReadonlyArray<DomainEvent>> = Object.values(nodes).map((n, i) => [
    {
      _tag: "NodeRegistered",
      nodeId: n.nodeId,
      publicKey: `0x02${(i + 1).toString(16).padStart(64, "0")}` as never,
      address: n.address,
      roles: ["trainer", "validator"],
      capabilities: [],
      registeredAt: at(0)
    }
  ])
  return [...registrations, ...commits]
}

describe("read models", () => {
  it("tasks: status, rounds, budget left, participants", () => {
    const models = rebuild(recorded(roundCommits()))
    const t = models.read<TaskDoc>("tasks", "T1")!
    expect(t).toMatchObject({ status: "open", rounds: 1, latestVersion: 2, latestAccuracy: 0.86, budget: "3000000" })
    expect(BigInt(t.paidOut) + BigInt(t.budgetLeft)).toBe(3_000_000n)
    expect(t.participants.map((p) => p.nodeId).sort()).toEqual(["trainerA", "trainerB", "validator1", "validator2", "validator3"])
  })

  it("nodes: reputation from verified/rejected results and agreeing/disagreeing/disputed votes", () => {
    const models = rebuild(recorded(roundCommits()))
    const get = (id: string) => servedNode(models.read<StoredNode>("nodes", id)!)
    // The tasks a node joined, served as one list.
    expect(get("trainerA").tasks).toEqual(["T1"])
    expect(get("trainerA").results).toEqual({ submitted: 1, verified: 1, rejected: 0 })
    expect(get("trainerB").results).toEqual({ submitted: 1, verified: 0, rejected: 1 })
    expect(get("validator1").votes).toEqual({ cast: 2, agreeing: 2, disagreeing: 0, disputed: 0, unrevealed: 0 })
    expect(get("validator2").votes).toEqual({ cast: 1, agreeing: 1, disagreeing: 0, disputed: 1, unrevealed: 0 })
    expect(get("validator2").stake.slashed).toBe(STAKE.toString())
    expect(get("trainerA").reputation).toBeGreaterThan(get("trainerB").reputation)
    expect(get("validator1").reputation).toBeGreaterThan(get("validator2").reputation)
    expect(BigInt(get("trainerA").earned)).toBeGreaterThan(0n)
  })

  it("balances: payouts per address, escrow and net flow; leaderboard sorted by earnings", () => {
    const models = rebuild(recorded(roundCommits()))
    const ownerBalance = models.read<StoredBalance>("balances", owner)!
    expect(ownerBalance.escrowed).toBe("3000000")
    const all = models.list<StoredBalance>("balances")
    const totalEarned = all.reduce((s, b) => s + BigInt(b.earned), 0n)
    // Rewards from escrow, plus the referee's share of validator2's slash.
    expect(totalEarned).toBe(BigInt(models.read<TaskDoc>("tasks", "T1")!.paidOut) + STAKE / 2n)
    expect(models.read<StoredBalance>("balances", nodes.validator2.address)!.slashed).toBe(STAKE.toString())
    // Served with its payouts in one list: trainerA's reward for its final result.
    const trainerA = servedBalance(models.read<StoredBalance>("balances", nodes.trainerA.address)!)
    expect(trainerA.payouts.map((p) => p.role)).toContain("trainer")
    expect(trainerA.payouts.reduce((sum, p) => sum + BigInt(p.amount), 0n)).toBe(BigInt(trainerA.earned))
    const board = models.read<LeaderboardDoc>("leaderboards", "T1")!
    expect(board.entries[0]!.participant).toBe("trainerA")
    for (let i = 1; i < board.entries.length; i++) expect(BigInt(board.entries[i - 1]!.earned) >= BigInt(board.entries[i]!.earned)).toBe(true)
  })

  it("balances: an address paid every round keeps its payouts in pages, served as one list, oldest first; an earlier document never changes", () => {
    const payee = nodes.trainerA.address
    const rounds = 2 * PAYOUT_PAGE + 3
    const rewards: Array<ReadonlyArray<DomainEvent>> = Array.from({ length: rounds }, (_, round) => [
      { _tag: "RewardAllocated", taskId: "T1" as never, round, recipient: payee, role: "trainer", amount: BigInt(round + 1), reason: `round ${round}`, allocatedAt: at(round) }
    ])
    const events = recorded(rewards)
    const models = new ReadModels()
    // Documents read mid-page and at a page's end, with their text at the time.
    const earlier: Array<{ doc: StoredBalance; copy: string; payouts: number }> = []
    for (const e of events) {
      models.push(e)
      if (e.globalPosition === events[9]!.globalPosition || e.globalPosition === events[PAYOUT_PAGE - 1]!.globalPosition) {
        const doc = models.read<StoredBalance>("balances", payee)!
        earlier.push({ doc, copy: JSON.stringify(doc), payouts: doc.payoutPages.flat().length })
      }
    }
    const stored = models.read<StoredBalance>("balances", payee)!
    expect(stored.payoutPages.map((p) => p.length)).toEqual([PAYOUT_PAGE, PAYOUT_PAGE, 3])
    const served = servedBalance(stored)
    expect(served.payouts.map((p) => p.round)).toEqual(Array.from({ length: rounds }, (_, round) => round))
    expect(served.earned).toBe(((rounds * (rounds + 1)) / 2).toString())
    expect(served).not.toHaveProperty("payoutPages")
    // Documents read earlier still read as they did (pages are copied, never extended in place).
    expect(earlier.map((d) => d.payouts)).toEqual([10, PAYOUT_PAGE])
    for (const d of earlier) expect(JSON.stringify(d.doc)).toBe(d.copy)
  })

  it("models: versions, metric log per iteration, lineage graph with forks", () => {
    const events = recorded([
      [
        { _tag: "ModelRegistered", modelId: "M-1" as never, name: "m", description: "", owner, topology: {}, topologyHash: hash32(1), origin: { _tag: "New" }, registeredAt: at(0) },
        { _tag: "ModelVersionCreated", modelId: "M-1" as never, version: 1, weightsHash: hash32(2), lineage: { results: [], datasets: [], nodes: [] }, createdBy: owner, createdAt: at(0) }
      ],
      [
        {
          _tag: "ModelVersionCreated",
          modelId: "M-1" as never,
          version: 2,
          weightsHash: hash32(3),
          parent: { modelId: "M-1" as never, version: 1 },
          lineage: { taskId: "T1" as never, round: 1, results: ["rA" as never], datasets: ["d" as never], nodes: ["trainerA" as never] },
          metrics: { accuracy: 0.9, loss: 0.3 },
          createdBy: owner,
          createdAt: at(1)
        }
      ],
      [{ _tag: "ModelForked", modelId: "M-1" as never, version: 2, childModelId: "M-2" as never, forkedBy: owner, forkedAt: at(2) }],
      [
        { _tag: "ModelRegistered", modelId: "M-2" as never, name: "b", description: "", owner, topology: {}, topologyHash: hash32(1), origin: { _tag: "Fork", parent: { modelId: "M-1" as never, version: 2 } }, registeredAt: at(2) },
        { _tag: "ModelVersionCreated", modelId: "M-2" as never, version: 1, weightsHash: hash32(3), parent: { modelId: "M-1" as never, version: 2 }, lineage: { results: [], datasets: [], nodes: [] }, createdBy: owner, createdAt: at(2) }
      ]
    ])
    const models = rebuild(events)
    const m1 = servedModel(models.read<StoredModel>("models", "M-1")!)
    expect(m1.versions.map((v) => v.version)).toEqual([1, 2])
    expect(m1.metricLog).toEqual([{ version: 2, taskId: "T1", round: 1, metrics: { accuracy: 0.9, loss: 0.3 }, accuracy: 0.9, loss: 0.3, at: at(1) }])
    expect(m1).toMatchObject({ datasets: ["d"], participants: ["trainerA"], forks: [{ modelId: "M-2", fromVersion: 2 }] })
    const graph = lineageGraph(models.list<StoredModel>("models").map(servedModel))
    expect(graph.edges).toContainEqual({ from: "M-1-v1", to: "M-1-v2", kind: "version" })
    expect(graph.edges).toContainEqual({ from: "M-1-v2", to: "M-2-v1", kind: "fork" })
  })

  it("models: a model trained for many rounds keeps versions and metric log in pages, served as lists in order; a score lands on its version", () => {
    const many = 2 * PAYOUT_PAGE + 3
    const scored = PAYOUT_PAGE + 5
    const events = recorded([
      [{ _tag: "ModelRegistered", modelId: "M-1" as never, name: "m", description: "", owner, topology: {}, topologyHash: hash32(1), origin: { _tag: "New" }, registeredAt: at(0) }],
      ...Array.from({ length: many }, (_, i): ReadonlyArray<DomainEvent> => [
        {
          _tag: "ModelVersionCreated",
          modelId: "M-1" as never,
          version: i + 1,
          weightsHash: hash32(i + 10),
          ...(i === 0 ? {} : { parent: { modelId: "M-1" as never, version: i } }),
          lineage: { taskId: "T1" as never, round: i, results: [], datasets: [], nodes: [] },
          metrics: { accuracy: i / many },
          createdBy: owner,
          createdAt: at(i)
        }
      ]),
      [
        {
          _tag: "ModelVersionScored",
          scoringId: "S1",
          modelId: "M-1" as never,
          version: scored,
          validation: { datasetId: "holdout" as never, contentHash: hash32(7) },
          metrics: { accuracy: 0.5 },
          agreeing: ["validator1" as never],
          disagreeing: [],
          silent: [],
          scoredAt: at(many)
        }
      ]
    ])
    const models = rebuild(events)
    const stored = models.read<StoredModel>("models", "M-1")!
    expect(stored.versions.map((p) => p.length)).toEqual([PAYOUT_PAGE, PAYOUT_PAGE, 3])
    const served = servedModel(stored)
    expect(served.versions.map((v) => v.version)).toEqual(Array.from({ length: many }, (_, i) => i + 1))
    expect(served.metricLog.map((m) => m.version)).toEqual(Array.from({ length: many }, (_, i) => i + 1))
    expect(served.versions.filter((v) => v.scores !== undefined).map((v) => [v.version, v.scores!.map((x) => x.scoringId)])).toEqual([[scored, ["S1"]]])
    expect(lineageGraph([served]).edges).toHaveLength(many - 1)
  })

  it("is idempotent: replaying events again changes nothing", () => {
    const events = recorded(roundCommits())
    const once = rebuild(events).snapshot()
    const models = new ReadModels()
    for (const e of events) models.push(e)
    for (const e of events) models.push(e)
    expect(models.snapshot()).toEqual(once)
  })

  it("applies a commit only when all of its events arrived", () => {
    const events = recorded([taskCreated()])
    const models = new ReadModels()
    expect(models.push(events[0]!)).toBe(false)
    expect(models.read("tasks", "T1")).toBeUndefined()
    expect(models.checkpoint).toBe(0)
    expect(models.push(events[1]!)).toBe(true)
    expect(models.checkpoint).toBe(1)
    expect(models.read<TaskDoc>("tasks", "T1")?.budget).toBe("3000000")
  })

  it("lag samples: the newest are kept, between the bound and twice it, in the order taken", () => {
    const samples: Array<number> = []
    for (let i = 0; i < 2_500; i++) {
      keepSample(samples, i, 1_000)
      expect(samples.length).toBeLessThanOrEqual(2_000)
    }
    expect(samples.length).toBeGreaterThanOrEqual(1_000)
    expect(samples).toEqual(Array.from({ length: samples.length }, (_, k) => 2_500 - samples.length + k))
  })
})
