import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { Address, NodeId, ResultId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { ChallengeResult, CloseRound, FinalizeResult, ReplaceValidator, ResolveChallenge } from "../../../domain/task/commands"
import { stakeClaim } from "../../../domain/task/stakeClaim"
import { checkpointLeaf } from "../../../domain/task/commitments"
import { drawValidators, type Candidate } from "../../../domain/task/draw"
import type { TaskEvent } from "../../../domain/task/events"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { address, hash32 } from "../../support/events"
import {
  SEED,
  STAKE,
  allJoined,
  at,
  audit,
  commitVote,
  coordinator,
  drawValidators as drawCommand,
  honestEvidence,
  joined,
  modelId,
  nodes,
  owner,
  proof,
  rA,
  roundStarted,
  stranger,
  submitResult,
  taskCreated,
  vote
} from "../../support/fixtures"

const spec = deciderSpec(task)
const decided = applying(task)
const running = () => [...taskCreated(), ...allJoined(), roundStarted()]
const submitted = () => decided(running(), submitResult("trainerA"))
const drawn = () => decided(submitted(), drawCommand(rA))
type Judge = "validator1" | "validator2" | "validator3"
const v2 = { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.4 } }
const closeWith = (overrides: Partial<ConstructorParameters<typeof CloseRound>[0]> = {}) =>
  new CloseRound({ taskId: "T1" as never, round: 1, actor: coordinator, at: at(300), actorIsCoordinator: true, ...overrides })
type Ballot = readonly [Judge, "accept" | "reject", ReturnType<typeof honestEvidence>?]
/** Every judge commits first (no commitment once a vote is revealed), then each reveals, in order. */
const panel = (h: ReadonlyArray<TaskEvent>, ballots: ReadonlyArray<Ballot>) => {
  const committed = ballots.reduce((acc, [name, verdict, evidence]) => decided(acc, commitVote(name, rA, verdict, evidence ?? honestEvidence())), h)
  return ballots.reduce((acc, [name, verdict, evidence]) => decided(acc, vote(name, rA, verdict, undefined, { evidence: evidence ?? honestEvidence() })), committed)
}

describe("Unbiased assignment: DrawValidators", () => {
  it("draws the judges and the audited segment from the hash of the result's commit, with a commit window", () =>
    spec.given(submitted()).when(drawCommand(rA)).thenEvents((events) => {
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ _tag: "VerificationRequested", resultId: rA, seed: SEED, audit: audit(), commitDeadline: at(160) })
      const validators = (events[0] as { validators: ReadonlyArray<string> }).validators
      expect([...validators].sort()).toEqual([nodes.validator1.nodeId, nodes.validator2.nodeId, nodes.validator3.nodeId])
    }))
  it("once per result", () => spec.given(drawn()).when(drawCommand(rA)).thenFails("ValidatorsAlreadyDrawn"))
  it("needs enough staked validators besides the trainer", () =>
    spec.given([...taskCreated(), ...allJoined().slice(0, 4), roundStarted()]).when(submitResult("trainerA")).thenEvents(() => undefined) &&
    spec.given(decided([...taskCreated(), ...allJoined().slice(0, 4), joined("validator4", "validator", undefined, 0n), roundStarted()], submitResult("trainerA"))).when(drawCommand(rA)).thenFails("NotEnoughParticipants"))

  const pool = (n: number): Array<Candidate> => Array.from({ length: n }, (_, i) => ({ nodeId: `v${i}` as NodeId, address: address(0x300 + i), stake: BigInt(1 + (i % 5)) * 1000n }))
  it("the draw depends on the seed and the stakes only: nothing the trainer submits can move it (property)", () =>
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.double({ min: 0, max: 1, noNaN: true }), (claimedId, seed, accuracy) => {
        // Whatever the trainer puts in its submission (id, seed, claims, weights), the decider draws with the commit hash it is given.
        const custom = proof({ seed: seed % 1000, metrics: { accuracy, loss: 1 }, weightsHash: hash32(0xf100 + (seed % 50)) })
        const history = decided(running(), submitResult("trainerA", undefined, { proof: custom }))
        const events = task.decide(drawCommand(rA), fold(task, history))
        const baseline = task.decide(drawCommand(rA), fold(task, submitted()))
        expect(Result.isSuccess(events) && Result.isSuccess(baseline)).toBe(true)
        if (Result.isSuccess(events) && Result.isSuccess(baseline)) expect(events.success[0]).toMatchObject({ validators: (baseline.success[0] as { validators: unknown }).validators })
        expect(claimedId.length).toBeGreaterThan(0) // the id is derived anyway: a chosen one is refused (task.spec)
      }),
      { numRuns: 100 }
    ))
  it("another seed (another commit) does move it", () => {
    const candidates = pool(30)
    const trainer = { nodeId: "t" as NodeId, address: address(1) }
    const panels = new Set(Array.from({ length: 20 }, (_, i) => drawValidators(hash32(i), trainer, candidates, 3).join(",")))
    expect(panels.size).toBeGreaterThan(15)
  })
  it("never the trainer's node nor another node of its key; distinct judges; order of candidates irrelevant", () => {
    const candidates = [...pool(5), { nodeId: "sameKey" as NodeId, address: address(1), stake: 10n ** 9n }]
    const trainer = { nodeId: "t" as NodeId, address: address(1) }
    for (let i = 0; i < 50; i++) {
      const judges = drawValidators(hash32(i), trainer, candidates, 3)
      expect(judges).not.toContain("sameKey")
      expect(new Set(judges).size).toBe(3)
      expect(drawValidators(hash32(i), trainer, [...candidates].reverse(), 3)).toEqual(judges)
    }
  })
  it("splitting stake across many identities buys no extra judges: an attacker with a fraction f of stake gets all q judges with frequency ≈ f^q", () => {
    // 200 validators: the attacker's 40 hold 1/3 of the stake (10 of them big, 30 small: splitting is irrelevant).
    const honest: Array<Candidate> = Array.from({ length: 160 }, (_, i) => ({ nodeId: `h${i}` as NodeId, address: address(0x1000 + i), stake: 1000n }))
    const attacker: Array<Candidate> = [
      ...Array.from({ length: 10 }, (_, i) => ({ nodeId: `a${i}` as NodeId, address: address(0x2000 + i), stake: 5000n })),
      ...Array.from({ length: 30 }, (_, i) => ({ nodeId: `b${i}` as NodeId, address: address(0x3000 + i), stake: 1000n }))
    ]
    const bad = new Set(attacker.map((a) => a.nodeId as string))
    const trainer = { nodeId: "t" as NodeId, address: address(1) }
    const f = 80_000 / 240_000
    const q = 3
    const trials = 20_000
    let captured = 0
    for (let i = 0; i < trials; i++) if (drawValidators(`0x${i.toString(16).padStart(64, "0")}`, trainer, [...honest, ...attacker], q).every((n) => bad.has(n))) captured++
    const measured = captured / trials
    // Without replacement the exact figure is a little under f^q (0.037); 4 standard errors of tolerance.
    const tolerance = 4 * Math.sqrt((f ** q * (1 - f ** q)) / trials) + 0.002
    expect(Math.abs(measured - f ** q)).toBeLessThan(tolerance)
  })
})

describe("Commit-reveal votes", () => {
  it("a drawn judge commits once; others may not", () => {
    spec.given(drawn()).when(commitVote("validator1", rA, "accept")).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "VoteCommitted", nodeId: nodes.validator1.nodeId }))
    spec.given(decided(drawn(), commitVote("validator1", rA, "accept"))).when(commitVote("validator1", rA, "reject")).thenFails("VoteAlreadyCommitted")
    spec.given(drawn()).when(commitVote("validator1", rA, "accept", undefined, { actor: nodes.trainerA.address })).thenFails("NotNodeKey")
  })
  it("no reveal before every judge committed or the commit window passed, so nobody can copy a verdict", () => {
    const one = decided(drawn(), commitVote("validator1", rA, "accept"))
    spec.given(one).when(vote("validator1", rA, "accept", undefined, { at: at(150) })).thenFails("RevealNotOpen", { waitingFor: 2 })
    spec.given(one).when(vote("validator1", rA, "accept", undefined, { at: at(161) })).thenEvents((e) => expect(e[0]!._tag).toBe("VerificationVoted"))
    const all = (["validator1", "validator2", "validator3"] as const).reduce((h, n) => decided(h, commitVote(n, rA, "accept")), drawn())
    spec.given(all).when(vote("validator1", rA, "accept", undefined, { at: at(120) })).thenEvents((e) => expect(e[0]!._tag).toBe("VerificationVoted"))
  })
  it("a reveal must match its commitment, and must have been committed", () => {
    const one = decided(drawn(), commitVote("validator1", rA, "accept"))
    spec.given(one).when(vote("validator1", rA, "reject")).thenFails("CommitmentMismatch")
    spec.given(one).when(vote("validator2", rA, "accept")).thenFails("VoteNotCommitted")
  })
  it("an accept must carry the trainer's committed end-of-segment state", () => {
    const wrong = { ...honestEvidence(), endHash: hash32(0xbad) }
    spec.given(decided(drawn(), commitVote("validator1", rA, "accept", wrong))).when(vote("validator1", rA, "accept", undefined, { evidence: wrong })).thenFails("VoteInconsistent")
  })
  it("a silent judge that has not committed is replaced by the draw's next pick, not by whoever asks", () => {
    const withSpare = decided(decided([...taskCreated(), ...allJoined(), joined("validator4", "validator"), roundStarted()], submitResult("trainerA")), drawCommand(rA))
    const state = fold(task, withSpare)
    const judges = state.status === "running" ? state.round!.results.get(rA)!.validators : []
    const spare = [nodes.validator1, nodes.validator2, nodes.validator3, nodes.validator4].map((n) => n.nodeId).find((n) => !judges.includes(n))!
    const replace = new ReplaceValidator({ taskId: "T1" as never, round: 1, resultId: rA, nodeId: judges[0]!, actor: coordinator, at: at(130), actorIsCoordinator: true })
    spec.given(withSpare).when(replace).then([{ _tag: "ValidatorReplaced", taskId: "T1" as never, round: 1, resultId: rA, replaced: judges[0]!, replacement: spare, replacedAt: at(130) }])
    const name = (Object.keys(nodes) as Array<keyof typeof nodes>).find((k) => nodes[k].nodeId === judges[0])! as Judge
    spec.given(decided(withSpare, commitVote(name, rA, "accept"))).when(replace).thenFails("ValidatorNotReplaceable")
  })
})

describe("Disputes, rulings and slashing", () => {
  const truth = honestEvidence()
  const lazy = { probeHash: hash32(0x1a2), endHash: truth.endHash }
  it("a lazy judge (copied end leaf, made-up probe) contests the result; the ruling slashes it and the result stands", () => {
    const h = panel(drawn(), [["validator1", "accept"], ["validator2", "accept"], ["validator3", "accept", lazy]])
    spec.given(h).when(closeWith()).thenFails("RoundStillOpen")
    spec.given(h).when(closeWith({ newVersion: v2, rulings: [{ resultId: rA, evidence: truth }] })).thenEvents((events) => {
      const slashed = events.filter((e) => e._tag === "StakeSlashed")
      expect(slashed).toEqual([expect.objectContaining({ nodeId: nodes.validator3.nodeId, amount: STAKE, referee: coordinator, refereeReward: STAKE / 2n, burned: STAKE / 2n })])
      const paid = events.filter((e) => e._tag === "RewardAllocated" && e.role === "validator").map((e) => (e as { nodeId?: string }).nodeId)
      expect(paid.sort()).toEqual([nodes.validator1.nodeId, nodes.validator2.nodeId])
      expect(events.find((e) => e._tag === "RoundClosed")).toMatchObject({ verifiedResults: [rA], disputedVotes: [{ nodeId: nodes.validator3.nodeId }] })
    })
  })
  it("forged training that its own judges accept is caught by one honest judge: the ruling rejects it and slashes the forger and its judges", () => {
    // validator1 and validator2 are the attacker's: they accept the forged run (its committed leaf); validator3 re-executes.
    const forgedEnd = checkpointLeaf(proof().checkpoints.states[audit().segment + 1]!)
    const realRun = { probeHash: truth.probeHash, endHash: hash32(0x7e57) }
    const h = panel(drawn(), [
      ["validator1", "accept", { probeHash: hash32(0xa1), endHash: forgedEnd }],
      ["validator2", "accept", { probeHash: hash32(0xa1), endHash: forgedEnd }],
      ["validator3", "reject", realRun]
    ])
    const state = fold(task, h)
    // Two accepts reached the quorum, but the honest judge's reveal contests it.
    expect(state.status === "running" && state.round!.results.get(rA)!.outcome).toBe("verified")
    spec.given(h).when(closeWith({ rulings: [{ resultId: rA, evidence: realRun }] })).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ResultRejected", resultId: rA, penalized: true })
      const slashed = events.filter((e) => e._tag === "StakeSlashed").map((e) => (e as { nodeId: string }).nodeId)
      expect(slashed.sort()).toEqual([nodes.trainerA.nodeId, nodes.validator1.nodeId, nodes.validator2.nodeId].sort())
      const paid = events.filter((e) => e._tag === "RewardAllocated")
      expect(paid.map((e) => (e as { role: string; nodeId?: string }).nodeId)).toEqual([nodes.validator3.nodeId])
      expect(events.find((e) => e._tag === "RoundClosed")).toMatchObject({ verifiedResults: [], rejectedResults: [rA] })
    })
  })
  it("a contested result without a ruling is rejected without penalty once the deadline passes", () => {
    const h = panel(drawn(), [["validator1", "accept"], ["validator3", "accept", lazy]])
    spec.given(h).when(closeWith({ at: at(700) })).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ResultRejected", penalized: false })
      expect(events.some((e) => e._tag === "StakeSlashed")).toBe(false)
    })
  })
  it("a ruling must concern a contested result of the round", () => {
    const h = panel(drawn(), [["validator1", "accept"], ["validator2", "accept"]])
    spec.given(h).when(closeWith({ newVersion: v2, rulings: [{ resultId: rA, evidence: truth }] })).thenFails("TaskConfigInvalid")
    spec.given(h).when(closeWith({ newVersion: v2, rulings: [{ resultId: "other" as ResultId, evidence: truth }] })).thenFails("TaskConfigInvalid")
  })
  it("a node is never slashed beyond the stake it committed to the task", () => {
    const forgedEnd = checkpointLeaf(proof().checkpoints.states[audit().segment + 1]!)
    const h = panel(drawn(), [
      ["validator1", "accept", { probeHash: hash32(0xa1), endHash: forgedEnd }],
      ["validator3", "reject", { ...truth, endHash: hash32(0x7e57) }]
    ])
    spec.given(h).when(closeWith({ rulings: [{ resultId: rA, evidence: { ...truth, endHash: hash32(0x7e57) } }] })).thenEvents((events) => {
      for (const e of events) if (e._tag === "StakeSlashed") expect(e.amount <= STAKE).toBe(true)
      expect(events.filter((e) => e._tag === "StakeSlashed").map((e) => (e as { address: Address }).address)).toContain(nodes.trainerA.address)
    })
  })
})

describe("Commit window", () => {
  it("closes for a judge once any vote on the result is revealed (a late commitment could copy it)", () => {
    const h = decided(panel(decided(drawn(), commitVote("validator2", rA, "accept")), []), commitVote("validator1", rA, "accept"))
    const revealed = decided(h, vote("validator1", rA, "accept", undefined, { at: at(161) }))
    spec.given(revealed).when(commitVote("validator3", rA, "accept", undefined, { at: at(162) })).thenFails("CommitWindowClosed")
    spec.given(h).when(commitVote("validator3", rA, "accept")).thenEvents((e) => expect(e[0]!._tag).toBe("VoteCommitted"))
  })
})

describe("Challenge window and finality", () => {
  const closedVerified = () => decided(panel(drawn(), [["validator1", "accept"], ["validator2", "accept"]]), closeWith({ newVersion: v2 }))
  const challenge = (overrides: Partial<ConstructorParameters<typeof ChallengeResult>[0]> = {}) =>
    new ChallengeResult({ taskId: "T1" as never, resultId: rA, nodeId: nodes.validator3.nodeId, segment: 5, endHash: hash32(0xc0ffee), actor: nodes.validator3.address, at: at(400), ...overrides })
  const resolve = (endHash: string) => new ResolveChallenge({ taskId: "T1" as never, resultId: rA, endHash: endHash as never, actor: coordinator, at: at(450), actorIsCoordinator: true })
  const committedEnd = (segment: number) => checkpointLeaf(proof().checkpoints.states[segment + 1]!)

  it("a verified result's trainer reward is held; it is final, and paid, only after the window", () => {
    const h = closedVerified()
    expect(h.filter((e) => e._tag === "RewardHeld")).toEqual([expect.objectContaining({ resultId: rA, amount: 700_000n, finalAt: at(600) })])
    spec.given(h).when(new FinalizeResult({ taskId: "T1" as never, resultId: rA, actor: nodes.trainerA.address, at: at(600) })).thenFails("NotFinalYet")
    spec.given(h).when(new FinalizeResult({ taskId: "T1" as never, resultId: rA, actor: nodes.trainerA.address, at: at(601) })).thenEvents((events) => {
      expect(events.map((e) => e._tag)).toEqual(["ResultFinalized", "RewardAllocated"])
      expect(events[1]).toMatchObject({ recipient: nodes.trainerA.address, amount: 700_000n, role: "trainer" })
    })
    // While it may still be challenged, the trainer's stake stays with the task.
    expect(stakeClaim(fold(task, h), nodes.trainerA.nodeId).heldBecause).toMatch(/still open|not final/)
  })
  it("a staked node that re-executed a segment to another state challenges it; the referee's ruling upholds it: overturned, the trainer slashed, the challenger paid", () => {
    const h = decided(closedVerified(), challenge())
    spec.given(h).when(new FinalizeResult({ taskId: "T1" as never, resultId: rA, actor: owner, at: at(700) })).thenFails("NotFinalYet")
    spec.given(h).when(resolve(hash32(0xc0ffee))).thenEvents((events) => {
      expect(events.map((e) => e._tag)).toEqual(["ChallengeResolved", "ResultRejected", "StakeSlashed", "RewardForfeited"])
      expect(events[0]).toMatchObject({ upheld: true })
      expect(events[2]).toMatchObject({ nodeId: nodes.trainerA.nodeId, amount: STAKE, referee: nodes.validator3.address, refereeReward: STAKE / 2n })
      expect(events[3]).toMatchObject({ recipient: nodes.trainerA.address, amount: 700_000n })
      const after = fold(task, [...h, ...events])
      expect(after.status !== "none" && after.challengeable.size).toBe(0)
      expect(after.status !== "none" && after.escrow.held).toBe(0n)
    })
  })
  it("a challenge the referee refutes slashes the challenger; the result can then become final", () => {
    const h = decided(closedVerified(), challenge())
    const refuted = decided(h, resolve(committedEnd(5)))
    expect(refuted.filter((e) => e._tag === "StakeSlashed")).toEqual([expect.objectContaining({ nodeId: nodes.validator3.nodeId, referee: coordinator })])
    spec.given(refuted).when(new FinalizeResult({ taskId: "T1" as never, resultId: rA, actor: owner, at: at(601) })).thenEvents((e) => expect(e[0]!._tag).toBe("ResultFinalized"))
  })
  it("only inside the window, only by a staked participant other than the trainer, only with a state that differs, one at a time", () => {
    const h = closedVerified()
    spec.given(h).when(challenge({ at: at(601) })).thenFails("NotChallengeable")
    spec.given(h).when(challenge({ nodeId: nodes.trainerA.nodeId, actor: nodes.trainerA.address })).thenFails("NotChallengeable")
    spec.given(h).when(challenge({ nodeId: "ghost" as NodeId })).thenFails("NotParticipant")
    spec.given(h).when(challenge({ actor: stranger })).thenFails("NotNodeKey")
    spec.given(h).when(challenge({ endHash: committedEnd(5) })).thenFails("NotChallengeable")
    spec.given(h).when(challenge({ segment: 99 })).thenFails("NotChallengeable")
    spec.given(decided(h, challenge())).when(challenge({ nodeId: nodes.validator1.nodeId, actor: nodes.validator1.address })).thenFails("NotChallengeable")
    spec.given(decided(h, challenge())).when(new ResolveChallenge({ taskId: "T1" as never, resultId: rA, endHash: hash32(1), actor: stranger, at: at(450), actorIsCoordinator: false })).thenFails("NotTaskOwner")
  })
  it("a result overturned after the task ended: its held reward goes back to the owner", () => {
    const done = decided(panel(drawn(), [["validator1", "accept"], ["validator2", "accept"]]), closeWith({ newVersion: { ...v2, metrics: { accuracy: 0.95, loss: 0.1 } } }))
    expect(done.some((e) => e._tag === "TaskCompleted")).toBe(true)
    spec.given(decided(done, challenge())).when(resolve(hash32(0xc0ffee))).thenEvents((events) => {
      expect(events.at(-1)).toMatchObject({ _tag: "BudgetRefunded", owner, amount: 700_000n })
    })
  })
})

describe("CloseRound and the aggregated version", () => {
  it("a version that averaged other results than the round verified (built before a late contest) cannot close it", () => {
    const h = panel(drawn(), [["validator1", "accept"], ["validator2", "accept"]])
    spec.given(h).when(closeWith({ newVersion: { ...v2, results: [rA] } })).thenEvents((e) => expect(e.some((x) => x._tag === "RoundClosed")).toBe(true))
    spec.given(h).when(closeWith({ newVersion: { ...v2, results: [] } })).thenFails("NewVersionRequired")
    spec.given(h).when(closeWith({ newVersion: { ...v2, results: [rA, "T1-r1-trainerB" as ResultId] } })).thenFails("NewVersionRequired")
  })
})
