import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { NodeId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { stepsToRule, UNOPENED } from "../../../domain/task/bisection"
import { JURY_SIZE, jurorsOf } from "../../../domain/task/jury"
import { AnswerDispute, CloseRound, CommitRuling, RevealRuling } from "../../../domain/task/commands"
import { checkpointLeaf, rulingCommitment } from "../../../domain/task/commitments"
import { segmentBounds } from "../../../domain/task/draw"
import type { CheckpointState, SegmentEvidence, StepLeaf, TaskEvent } from "../../../domain/task/events"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { address, hash32 } from "../../support/events"
import { allJoined, at, audit, commitVote, coordinator, drawValidators, modelId, nodes, proof, rA, roundStarted, STAKE, submitResult, taskCreated, vote } from "../../support/fixtures"

/**
 * Bisection to one step (domain/task/bisection.ts): judges reveal their leaf
 * after every step of the audited segment; the trainer of a contested result
 * answers with its states for the same steps; a referee replays the one step
 * where they part, and whoever's leaf there differs from the replay is wrong.
 */
const spec = deciderSpec(task)
const decided = applying(task)
const drawn = () => decided(decided([...taskCreated(), ...allJoined(), roundStarted()], submitResult("trainerA")), drawValidators(rA))
const { from, to } = segmentBounds(audit().segment, 4, 64)
const committedEnd = proof().checkpoints.states[audit().segment + 1]!
/** The honest run's state after step s of the audited segment (the last one is the committed end). */
const honest = (s: number): CheckpointState => (s === to ? committedEnd : { weights: hash32(0x9100 + s), optimizer: hash32(0x9200 + s) })
const forged = (s: number): CheckpointState => ({ weights: hash32(0xf100 + s), optimizer: hash32(0xf200 + s) })
const steps = Array.from({ length: to - from }, (_, i) => from + 1 + i)
/** A judge's evidence for a chain of states (its list, and the probe and end leaves it holds). */
const evidenceOf = (chain: (s: number) => CheckpointState): SegmentEvidence => {
  const leaves = steps.map((s) => checkpointLeaf(chain(s)))
  return { probeHash: leaves[audit().probeStep - from - 1]!, endHash: leaves.at(-1)!, steps: leaves }
}
const truth = evidenceOf(honest)
type Judge = "validator1" | "validator2" | "validator3"
const panel = (ballots: ReadonlyArray<readonly [Judge, "accept" | "reject", SegmentEvidence]>) => {
  const committed = ballots.reduce((h, [name, verdict, evidence]) => decided(h, commitVote(name, rA, verdict, evidence)), drawn())
  return ballots.reduce((h, [name, verdict, evidence]) => decided(h, vote(name, rA, verdict, undefined, { evidence })), committed)
}
const answer = (states: ReadonlyArray<CheckpointState>, overrides: Partial<ConstructorParameters<typeof AnswerDispute>[0]> = {}) =>
  new AnswerDispute({ taskId: "T1" as never, round: 1, resultId: rA, nodeId: nodes.trainerA.nodeId, states, actor: nodes.trainerA.address, at: at(210), ...overrides })
const close = (overrides: Partial<ConstructorParameters<typeof CloseRound>[0]> = {}, withVersion = true) =>
  new CloseRound({
    taskId: "T1" as never,
    round: 1,
    ...(withVersion ? { newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.4 } } } : {}),
    actor: coordinator,
    at: at(300),
    actorIsCoordinator: true,
    ...overrides
  })
type Juror = "validator1" | "validator2" | "validator3"
const jurySalt = (name: Juror) => hash32(0x7a00 + name.length + name.charCodeAt(name.length - 1))
const commitRuling = (name: Juror, rulings: ReadonlyArray<StepLeaf>, overrides: Partial<ConstructorParameters<typeof CommitRuling>[0]> = {}) =>
  new CommitRuling({
    taskId: "T1" as never,
    round: 1,
    resultId: rA,
    nodeId: nodes[name].nodeId,
    commitment: rulingCommitment({ resultId: rA, nodeId: nodes[name].nodeId, rulings, salt: jurySalt(name) }),
    actor: nodes[name].address,
    at: at(215),
    ...overrides
  })
const revealRuling = (name: Juror, rulings: ReadonlyArray<StepLeaf>, overrides: Partial<ConstructorParameters<typeof RevealRuling>[0]> = {}) =>
  new RevealRuling({ taskId: "T1" as never, round: 1, resultId: rA, nodeId: nodes[name].nodeId, rulings, salt: jurySalt(name), actor: nodes[name].address, at: at(220), ...overrides })
/** The jury (every staked validator but the trainer) commits, then reveals, each juror its rulings. */
const juryRules = (h: ReadonlyArray<TaskEvent>, ballots: ReadonlyArray<readonly [Juror, ReadonlyArray<StepLeaf>]>) => {
  const committed = ballots.reduce((acc, [name, rulings]) => decided(acc, commitRuling(name, rulings)), h)
  return ballots.reduce((acc, [name, rulings]) => decided(acc, revealRuling(name, rulings)), committed)
}
const resultOf = (h: ReadonlyArray<TaskEvent>) => {
  const s = fold(task, h)
  return s.status === "running" ? s.round!.results.get(rA)! : undefined!
}
const slashedIn = (events: ReadonlyArray<TaskEvent>) => events.filter((e) => e._tag === "StakeSlashed").map((e) => (e as { nodeId: NodeId }).nodeId).sort()

// A lazy judge commits a made-up probe (it never re-executed) and a list around it.
const lazyLeaves = steps.map((s, i) => (i === steps.length - 1 ? truth.endHash : hash32(0x1a00 + s)))
const lazy: SegmentEvidence = { probeHash: lazyLeaves[audit().probeStep - from - 1]!, endHash: truth.endHash, steps: lazyLeaves }

describe("Bisection: a revealed step list", () => {
  it("holds one leaf per step of the segment, with the committed probe and end leaves where they belong", () => {
    const committed = decided(drawn(), commitVote("validator1", rA, "accept", truth))
    const short = { ...truth, steps: truth.steps!.slice(1) }
    spec.given(decided(drawn(), commitVote("validator1", rA, "accept", short))).when(vote("validator1", rA, "accept", undefined, { evidence: short })).thenFails("VoteInconsistent")
    const noProbe = { ...truth, steps: truth.steps!.map((l, i) => (i === audit().probeStep - from - 1 ? hash32(0xdead) : l)) }
    spec.given(decided(drawn(), commitVote("validator1", rA, "accept", noProbe))).when(vote("validator1", rA, "accept", undefined, { evidence: noProbe })).thenFails("VoteInconsistent")
    spec.given(committed).when(vote("validator1", rA, "accept", undefined, { evidence: truth })).thenEvents((e) => expect(e[0]).toMatchObject({ evidence: truth }))
  })
})

describe("Bisection: the trainer's answer", () => {
  const contested = () => panel([["validator1", "accept", truth], ["validator2", "accept", truth], ["validator3", "accept", lazy]])
  const honestAnswer = steps.map(honest)
  it("is taken once, from the trainer's key, for a contested result, opening exactly the segment's steps and ending in the committed state", () => {
    spec.given(panel([["validator1", "accept", truth], ["validator2", "accept", truth]])).when(answer(honestAnswer)).thenFails("NotDisputed")
    spec.given(contested()).when(answer(honestAnswer, { actor: nodes.validator1.address })).thenFails("NotNodeKey")
    spec.given(contested()).when(answer(honestAnswer, { nodeId: nodes.validator1.nodeId, actor: nodes.validator1.address })).thenFails("NotDisputed")
    spec.given(contested()).when(answer(honestAnswer.slice(1))).thenFails("DisputeAnswerInvalid")
    spec.given(contested()).when(answer([...honestAnswer.slice(0, -1), forged(to)])).thenFails("DisputeAnswerInvalid")
    spec.given(contested()).when(answer(honestAnswer)).then([{ _tag: "DisputeAnswered", taskId: "T1" as never, round: 1, resultId: rA, nodeId: nodes.trainerA.nodeId, states: honestAnswer, answeredAt: at(210) }])
    spec.given(decided(contested(), answer(honestAnswer))).when(answer(honestAnswer)).thenFails("NotDisputed")
  })

  it("a lazy judge parts from the trainer at the segment's first step: the jury replays that one step, the lazy judge is slashed and the result stands", () => {
    const h = decided(contested(), answer(honestAnswer))
    expect(stepsToRule(resultOf(h))).toEqual([from + 1])
    spec.given(h).when(close()).thenFails("RoundStillOpen")
    const right = [{ step: from + 1, leaf: truth.steps![0]! }]
    const made = [{ step: from + 1, leaf: hash32(0x1a1a) }]
    // One juror's reveal is no majority of the jury's stake.
    const alone = decided(decided(h, commitRuling("validator1", right)), revealRuling("validator1", right, { at: at(271) }))
    spec.given(alone).when(close()).thenFails("RoundStillOpen")
    const ruled = juryRules(h, [["validator1", right], ["validator2", right], ["validator3", made]])
    spec.given(ruled).when(close()).thenEvents((events) => {
      expect(slashedIn(events)).toEqual([nodes.validator3.nodeId])
      expect(events.find((e) => e._tag === "StakeSlashed")).toMatchObject({ amount: STAKE, reason: expect.stringContaining(`step ${from + 1}`) })
      expect(events.find((e) => e._tag === "RoundClosed")).toMatchObject({ verifiedResults: [rA], disputedVotes: [{ nodeId: nodes.validator3.nodeId }] })
    })
  })

  it("a forger whose answer breaks at one step is proven wrong there, with the judge that vouched for its states; the honest judges are paid", () => {
    // The forger's states follow the honest run up to step from+2, then jump to its committed end.
    const breakAt = from + 3
    const chain = (s: number) => (s < breakAt ? honest(s) : s === to ? committedEnd : forged(s))
    // The real run ends elsewhere than the trainer committed.
    const real = (s: number) => (s < breakAt ? honest(s) : { weights: hash32(0x7e00 + s), optimizer: hash32(0x7f00 + s) })
    const h = decided(
      panel([["validator1", "accept", evidenceOf(chain)], ["validator2", "reject", evidenceOf(real)], ["validator3", "reject", evidenceOf(real)]]),
      answer(steps.map(chain))
    )
    expect(stepsToRule(resultOf(h))).toEqual([breakAt])
    const replayed = [{ step: breakAt, leaf: checkpointLeaf(real(breakAt)) }]
    const ruled = juryRules(h, [["validator1", [{ step: breakAt, leaf: checkpointLeaf(chain(breakAt)) }]], ["validator2", replayed], ["validator3", replayed]])
    spec.given(ruled).when(close({}, false)).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ResultRejected", resultId: rA, penalized: true, reason: expect.stringContaining(`step ${breakAt} does not follow`) })
      expect(slashedIn(events)).toEqual([nodes.trainerA.nodeId, nodes.validator1.nodeId].sort())
      const paid = events.filter((e) => e._tag === "RewardAllocated").map((e) => (e as { nodeId?: string }).nodeId)
      expect(paid.sort()).toEqual([nodes.validator2.nodeId, nodes.validator3.nodeId].sort())
    })
  })

  it("an answer naming a state nobody can fetch loses: the jury's zero leaf proves the trainer wrong and no judge", () => {
    const h = decided(contested(), answer(honestAnswer))
    const unopened = [{ step: from + 1, leaf: UNOPENED }]
    spec.given(juryRules(h, [["validator1", unopened], ["validator2", unopened], ["validator3", unopened]])).when(close({}, false)).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ResultRejected", penalized: true, reason: expect.stringContaining("cannot be fetched") })
      expect(slashedIn(events)).toEqual([nodes.trainerA.nodeId])
    })
  })

  it("a bisected dispute is the jury's: the coordinator's segment ruling on it is refused; a judge that disagrees without a list leaves it to the segment ruling", () => {
    const h = decided(contested(), answer(honestAnswer))
    const segment = { resultId: rA, evidence: { probeHash: truth.probeHash, endHash: truth.endHash } }
    spec.given(h).when(close({ rulings: [segment] })).thenFails("TaskConfigInvalid")
    const listless = panel([["validator1", "accept", truth], ["validator2", "accept", truth], ["validator3", "accept", { probeHash: hash32(0x1a2), endHash: truth.endHash }]])
    const answered = decided(listless, answer(honestAnswer))
    expect(stepsToRule(resultOf(answered))).toBeUndefined()
    spec.given(answered).when(commitRuling("validator1", [{ step: from + 1, leaf: truth.steps![0]! }])).thenFails("NotDisputed")
    spec.given(answered).when(close({ rulings: [segment] })).thenEvents((events) => expect(slashedIn(events)).toEqual([nodes.validator3.nodeId]))
  })
})

describe("Bisection: the jury", () => {
  it("seats at most JURY_SIZE validators, drawn by committed stake from the result's seed: the same for the same seed, never the trainer's key; a third of the stake holds its majority as often as drawing without replacement says", () => {
    // 198 validators of equal stake, 66 of them (a third) the attacker's, and one sharing the trainer's key.
    const validators = Array.from({ length: 198 }, (_, i) => ({ nodeId: `v${i}` as NodeId, address: address(0x400 + i), role: "validator" as const, stake: 1000n }))
    const sameKey = { nodeId: "sameKey" as NodeId, address: address(1), role: "validator" as const, stake: 1000n }
    const s = { participants: new Map([...validators, sameKey].map((p) => [p.nodeId, p])), slashed: new Map() } as never
    const result = (seed: string) => ({ nodeId: "t" as NodeId, trainer: address(1), seed })
    const jury = jurorsOf(s, result(hash32(1)))
    expect(jury).toHaveLength(JURY_SIZE)
    expect(jury.map((j) => j.nodeId)).not.toContain("sameKey")
    expect(jurorsOf(s, result(hash32(1)))).toEqual(jury)
    expect(jurorsOf(s, result(hash32(2)))).not.toEqual(jury)
    const trials = 2_000
    let captured = 0
    for (let i = 0; i < trials; i++) if (jurorsOf(s, result(hash32(0x10000 + i))).filter((j) => Number(j.nodeId.slice(1)) < 66).length * 2 > JURY_SIZE) captured++
    // Hypergeometric: P(X > JURY_SIZE / 2) drawing JURY_SIZE of 198 with 66 marked.
    const comb = (n: number, k: number) => Array.from({ length: k }, (_, i) => BigInt(n - i)).reduce((a, b) => a * b, 1n) / Array.from({ length: k }, (_, i) => BigInt(i + 1)).reduce((a, b) => a * b, 1n)
    let p = 0
    for (let k = Math.floor(JURY_SIZE / 2) + 1; k <= JURY_SIZE; k++) p += Number((comb(66, k) * comb(132, JURY_SIZE - k) * 1_000_000n) / comb(198, JURY_SIZE)) / 1_000_000
    expect(p).toBeLessThan(0.03)
    expect(Math.abs(captured / trials - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / trials) + 0.002)
  })

  const h = () => decided(panel([["validator1", "accept", truth], ["validator2", "accept", truth], ["validator3", "accept", lazy]]), answer(steps.map(honest)))
  const right = () => [{ step: from + 1, leaf: truth.steps![0]! }]
  it("sits every staked validator of the task but the trainer, each signing with its key, committing once and before any reveal", () => {
    spec.given(h()).when(commitRuling("validator1", right())).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "RulingCommitted", nodeId: nodes.validator1.nodeId }))
    spec.given(h()).when(new CommitRuling({ ...commitRuling("validator1", right()), nodeId: nodes.trainerB.nodeId, actor: nodes.trainerB.address })).thenFails("NotParticipant")
    spec.given(h()).when(commitRuling("validator1", right(), { actor: nodes.validator2.address })).thenFails("NotNodeKey")
    spec.given(decided(h(), commitRuling("validator1", right()))).when(commitRuling("validator1", right())).thenFails("VoteAlreadyCommitted")
    const one = decided(decided(h(), commitRuling("validator1", right())), commitRuling("validator2", right()))
    const revealed = decided(one, revealRuling("validator1", right(), { at: at(211 + 60) }))
    spec.given(revealed).when(commitRuling("validator3", right())).thenFails("CommitWindowClosed")
  })
  it("reveals open when every juror committed or a commit window after the answer; a reveal must match its commitment and rule on exactly the dispute's steps", () => {
    const two = decided(decided(h(), commitRuling("validator1", right())), commitRuling("validator2", right()))
    spec.given(two).when(revealRuling("validator1", right(), { at: at(250) })).thenFails("RevealNotOpen", { waitingFor: 1 })
    spec.given(two).when(revealRuling("validator1", right(), { at: at(270) })).thenEvents((e) => expect(e[0]).toMatchObject({ _tag: "RulingRevealed", rulings: right() }))
    const all = decided(two, commitRuling("validator3", right()))
    spec.given(all).when(revealRuling("validator1", [{ step: from + 1, leaf: hash32(9) }])).thenFails("CommitmentMismatch")
    const wrongStep = [{ step: from + 2, leaf: truth.steps![1]! }]
    spec.given(decided(decided(h(), commitRuling("validator1", wrongStep)), commitRuling("validator2", right()))).when(revealRuling("validator1", wrongStep, { at: at(270) })).thenFails("VoteInconsistent")
    spec.given(all).when(revealRuling("validator1", right())).thenEvents((e) => expect(e[0]!._tag).toBe("RulingRevealed"))
  })
})
