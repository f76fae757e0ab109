import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { NodeId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { stepsToRule, UNOPENED } from "../../../domain/task/bisection"
import { AnswerDispute, CloseRound } from "../../../domain/task/commands"
import { checkpointLeaf } from "../../../domain/task/commitments"
import { segmentBounds } from "../../../domain/task/draw"
import type { CheckpointState, SegmentEvidence, StepRuling, TaskEvent } from "../../../domain/task/events"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { hash32 } from "../../support/events"
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
const close = (stepRulings: ReadonlyArray<StepRuling>, withVersion = true) =>
  new CloseRound({
    taskId: "T1" as never,
    round: 1,
    ...(withVersion ? { newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.4 } } } : {}),
    stepRulings,
    actor: coordinator,
    at: at(300),
    actorIsCoordinator: true
  })
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

  it("a lazy judge parts from the trainer at the segment's first step: the referee replays that one step, the lazy judge is slashed and the result stands", () => {
    const h = decided(contested(), answer(honestAnswer))
    expect(stepsToRule(resultOf(h))).toEqual([from + 1])
    spec.given(h).when(close([])).thenFails("RoundStillOpen")
    spec.given(h).when(close([{ resultId: rA, step: from + 2, leaf: truth.steps![1]! }])).thenFails("RoundStillOpen")
    spec.given(h).when(close([{ resultId: rA, step: from + 1, leaf: truth.steps![0]! }])).thenEvents((events) => {
      expect(slashedIn(events)).toEqual([nodes.validator3.nodeId])
      expect(events.find((e) => e._tag === "StakeSlashed")).toMatchObject({ amount: STAKE, reason: expect.stringContaining(`step ${from + 1}`) })
      expect(events.find((e) => e._tag === "RoundClosed")).toMatchObject({ verifiedResults: [rA], disputedVotes: [{ nodeId: nodes.validator3.nodeId }] })
    })
  })

  it("a forger whose answer breaks at one step is proven wrong there, with the judges that vouched for its states; the honest judge is paid", () => {
    // The forger's states follow the honest run up to step from+2, then jump to its committed end.
    const breakAt = from + 3
    const chain = (s: number) => (s < breakAt ? honest(s) : s === to ? committedEnd : forged(s))
    // The real run ends elsewhere than the trainer committed.
    const real = (s: number) => (s < breakAt ? honest(s) : { weights: hash32(0x7e00 + s), optimizer: hash32(0x7f00 + s) })
    const accomplice = evidenceOf(chain)
    const h = decided(
      panel([["validator1", "accept", accomplice], ["validator2", "accept", accomplice], ["validator3", "reject", evidenceOf(real)]]),
      answer(steps.map(chain))
    )
    expect(stepsToRule(resultOf(h))).toEqual([breakAt])
    const replay = { resultId: rA, step: breakAt, leaf: checkpointLeaf(real(breakAt)) }
    spec.given(h).when(close([replay], false)).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ResultRejected", resultId: rA, penalized: true, reason: expect.stringContaining(`step ${breakAt} does not follow`) })
      expect(slashedIn(events)).toEqual([nodes.trainerA.nodeId, nodes.validator1.nodeId, nodes.validator2.nodeId].sort())
      const paid = events.filter((e) => e._tag === "RewardAllocated").map((e) => (e as { nodeId?: string }).nodeId)
      expect(paid).toEqual([nodes.validator3.nodeId])
    })
  })

  it("an answer naming a state nobody can fetch loses: the referee's zero leaf proves the trainer wrong and no judge", () => {
    const h = decided(contested(), answer(honestAnswer))
    spec.given(h).when(close([{ resultId: rA, step: from + 1, leaf: UNOPENED }], false)).thenEvents((events) => {
      expect(events[0]).toMatchObject({ _tag: "ResultRejected", penalized: true, reason: expect.stringContaining("cannot be fetched") })
      expect(slashedIn(events)).toEqual([nodes.trainerA.nodeId])
    })
  })

  it("a step ruling must be one the result's disputes come down to; a judge that disagrees without a list leaves the segment ruling", () => {
    const h = decided(contested(), answer(honestAnswer))
    spec.given(h).when(close([{ resultId: rA, step: from + 1, leaf: truth.steps![0]! }, { resultId: rA, step: from + 3, leaf: truth.steps![2]! }])).thenFails("TaskConfigInvalid")
    const listless = panel([["validator1", "accept", truth], ["validator2", "accept", truth], ["validator3", "accept", { probeHash: hash32(0x1a2), endHash: truth.endHash }]])
    const answered = decided(listless, answer(honestAnswer))
    expect(stepsToRule(resultOf(answered))).toBeUndefined()
    spec.given(answered).when(close([{ resultId: rA, step: from + 1, leaf: truth.steps![0]! }])).thenFails("RoundStillOpen")
    spec.given(answered)
      .when(
        new CloseRound({
          taskId: "T1" as never,
          round: 1,
          newVersion: close([]).newVersion!,
          rulings: [{ resultId: rA, evidence: { probeHash: truth.probeHash, endHash: truth.endHash } }],
          actor: coordinator,
          at: at(300),
          actorIsCoordinator: true
        })
      )
      .thenEvents((events) => expect(slashedIn(events)).toEqual([nodes.validator3.nodeId]))
  })
})
