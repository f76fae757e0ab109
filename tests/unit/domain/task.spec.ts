import { describe, expect, it } from "vitest"
import type { ModelId, ResultId, ShardId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { DispatchTraining } from "../../../domain/task/commands"
import type { TaskEvent } from "../../../domain/task/events"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { hash32 } from "../../support/events"
import {
  allJoined,
  at,
  closeRound,
  commitVote,
  coordinator,
  drawValidators,
  createTask,
  joinTask,
  joined,
  modelId,
  nodes,
  owner,
  proof,
  rA,
  rB,
  roundStarted,
  startRound,
  stranger,
  submitResult,
  taskCreated,
  taskId,
  vote
} from "../../support/fixtures"

const spec = deciderSpec(task)
const decided = applying(task)
const running = () => [...taskCreated(), ...allJoined(), roundStarted()]
type Judge = "validator1" | "validator2" | "validator3"
type Ballot = readonly [Judge, "accept" | "reject", { accuracy: number; loss: number }?]
/** Judges commit (all of them first: no commitment once a vote is revealed), then reveal in order; `hold` commits without revealing. */
const panel = (h: ReadonlyArray<TaskEvent>, resultId: string, ballots: ReadonlyArray<Ballot>, hold: ReadonlyArray<Ballot> = []) => {
  const committed = [...ballots, ...hold].reduce((acc, [name, verdict]) => decided(acc, commitVote(name, resultId, verdict)), h)
  return ballots.reduce((acc, [name, verdict, measured]) => decided(acc, vote(name, resultId, verdict, measured, { resultId: resultId as ResultId })), committed)
}
const withResultA = () => decided(decided(running(), submitResult("trainerA")), drawValidators(rA))
const verifiedA = (hold: ReadonlyArray<Ballot> = []) => panel(withResultA(), rA, [["validator1", "accept"], ["validator2", "accept"]], hold)

describe("Task: CreateTask", () => {
  it("creates the task and escrows its budget in one decision", () => spec.given([]).when(createTask()).then(taskCreated()))
  it("refuses an existing task id", () => spec.given(taskCreated()).when(createTask()).thenFails("TaskAlreadyExists"))
  it("refuses a quorum larger than the validators per result", () =>
    spec.given([]).when(createTask({ criteria: { ...createTask().criteria, quorum: 4 } })).thenFails("TaskConfigInvalid"))
  it.each([
    [2, 2, "one validator could veto"],
    [2, 1, "one vote would decide"],
    [3, 1, "one vote would decide"],
    [4, 2, "not a majority: both outcomes could reach it"],
    [3, 3, "one validator could veto"],
    [1, 2, "more than assigned"]
  ])("refuses %i validators with quorum %i (%s)", (validatorsPerResult, quorum) => {
    spec.given([]).when(createTask({ criteria: { ...createTask().criteria, validatorsPerResult, quorum } })).thenFails("TaskConfigInvalid")
  })
  it.each([
    [1, 1],
    [3, 2],
    [5, 3],
    [5, 4]
  ])("accepts %i validators with quorum %i", (validatorsPerResult, quorum) => {
    spec.given([]).when(createTask({ criteria: { ...createTask().criteria, validatorsPerResult, quorum } })).thenEvents((e) => expect(e[0]!._tag).toBe("TaskCreated"))
  })
  it("refuses a reward split that does not add up to 100%", () =>
    spec.given([]).when(createTask({ rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 999 } })).thenFails("TaskConfigInvalid"))
  it("refuses a zero budget", () => spec.given([]).when(createTask({ budget: 0n })).thenFails("TaskConfigInvalid"))
  it("only the model's owner trains it (others fork first)", () =>
    spec.given([]).when(createTask({ actor: stranger })).thenFails("NotModelOwner"))
  it("refuses a delisted model", () =>
    spec.given([]).when(createTask({ baseModel: { ...createTask().baseModel, status: "delisted" } })).thenFails("ModelNotUsable"))
  it("refuses a validation set used as training data", () =>
    spec
      .given([])
      .when(createTask({ trainingDatasets: [{ ...createTask().validationDataset, shards: [] }] }))
      .thenFails("TaskConfigInvalid"))
  it("refuses training datasets without shards", () =>
    spec.given([]).when(createTask({ trainingDatasets: [{ ...createTask().trainingDatasets[0]!, shards: [] }] })).thenFails("TaskConfigInvalid"))
})

describe("Task: JoinTask", () => {
  it("lets a registered node join in a role it has", () =>
    spec.given(taskCreated()).when(joinTask("trainerA", "trainer")).then([joined("trainerA", "trainer", at(1))]))
  it("needs the task", () => spec.given([]).when(joinTask("trainerA", "trainer")).thenFails("TaskNotFound"))
  it("must be signed by the node's key", () =>
    spec.given(taskCreated()).when(joinTask("trainerA", "trainer", { actor: stranger })).thenFails("NotNodeKey"))
  it("needs the role on the node", () =>
    spec
      .given(taskCreated())
      .when(joinTask("trainerA", "validator", { node: { ...joinTask("trainerA", "trainer").node, roles: ["trainer"] } }))
      .thenFails("NodeLacksRole"))
  it("joins once", () => spec.given([...taskCreated(), joined("trainerA", "trainer")]).when(joinTask("trainerA", "trainer")).thenFails("AlreadyJoined"))
  it("refuses joining a finished task", () => {
    const closed = decided(verifiedA(), closeRound({ at: at(700), newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.95, loss: 0.2 } } }))
    spec.given(closed).when(joinTask("trainerA", "trainer")).thenFails("TaskClosed")
  })
})

describe("Task: StartRound", () => {
  it("starts round 1 from the model's latest version with a per-round share of the escrow", () =>
    spec.given([...taskCreated(), ...allJoined()]).when(startRound()).then([roundStarted(1, 1_000_000n)]))
  it("a coordinator may start it too", () =>
    spec
      .given([...taskCreated(), ...allJoined()])
      .when(startRound(1, { actor: coordinator, actorIsCoordinator: true }))
      .thenEvents((events) => expect(events[0]!._tag).toBe("RoundStarted")))
  it("nobody else may", () => spec.given([...taskCreated(), ...allJoined()]).when(startRound(1, { actor: stranger })).thenFails("NotTaskOwner"))
  it("needs enough trainers", () =>
    spec.given([...taskCreated(), joined("trainerA", "trainer"), ...allJoined().slice(2)]).when(startRound()).thenFails("NotEnoughParticipants", { role: "trainer" }))
  it("needs enough validators", () =>
    spec.given([...taskCreated(), ...allJoined().slice(0, 4)]).when(startRound()).thenFails("NotEnoughParticipants", { role: "validator" }))
  it("rounds are numbered in order", () => spec.given([...taskCreated(), ...allJoined()]).when(startRound(2)).thenFails("WrongRound"))
  it("one round at a time", () => spec.given(running()).when(startRound(2)).thenFails("RoundAlreadyRunning"))
  it("never beyond maxRounds", () => {
    let h: ReadonlyArray<TaskEvent> = [...taskCreated(), ...allJoined()]
    for (const r of [1, 2, 3]) {
      h = decided(h, startRound(r, { at: at(r * 1000) }))
      h = decided(h, closeRound({ round: r, at: at(r * 1000 + 700) }))
    }
    expect(h[h.length - 1]!._tag).toBe("BudgetRefunded")
    spec.given(h).when(startRound(4)).thenFails("TaskClosed")
  })
})

describe("Task: DispatchTraining", () => {
  const dispatch = (assignments: DispatchTraining["assignments"], actor = owner) =>
    new DispatchTraining({ taskId, round: 1, assignments, actor, at: at(5), actorIsCoordinator: actor === coordinator })
  it("records shard assignments to joined trainers", () =>
    spec
      .given(running())
      .when(dispatch([{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as ShardId], seed: 7 }], coordinator))
      .then([
        { _tag: "TrainingDispatched", taskId, round: 1, assignments: [{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as ShardId], seed: 7 }], dispatchedAt: at(5) }
      ]))
  it("only to trainers of the task", () =>
    spec.given(running()).when(dispatch([{ slot: 0, nodeId: nodes.validator1.nodeId, shardIds: ["s1" as ShardId], seed: 1 }])).thenFails("NotParticipant"))
  it("only the task's shards", () =>
    spec.given(running()).when(dispatch([{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s9" as ShardId], seed: 1 }])).thenFails("UnknownShard"))
  it("needs a running round", () =>
    spec.given([...taskCreated(), ...allJoined()]).when(dispatch([{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as ShardId], seed: 1 }])).thenFails("RoundNotRunning"))
  it("a slot may be reassigned to another trainer only with the same work", () => {
    const first = decided(running(), dispatch([{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as ShardId], seed: 7 }]))
    spec.given(first).when(dispatch([{ slot: 0, nodeId: nodes.trainerB.nodeId, shardIds: ["s1" as ShardId], seed: 7 }])).thenEvents((e) => expect(e[0]!._tag).toBe("TrainingDispatched"))
    spec.given(first).when(dispatch([{ slot: 0, nodeId: nodes.trainerB.nodeId, shardIds: ["s2" as ShardId], seed: 7 }])).thenFails("TaskConfigInvalid")
  })
  it("not by strangers", () =>
    spec.given(running()).when(dispatch([{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as ShardId], seed: 1 }], stranger)).thenFails("NotTaskOwner"))
})

describe("Task: SubmitResult", () => {
  it("records the signed result; its validators are drawn afterwards, from the hash of the commit that recorded it", () =>
    spec
      .given(running())
      .when(submitResult("trainerA"))
      .then([{ _tag: "ResultSubmitted", taskId, round: 1, resultId: rA, nodeId: nodes.trainerA.nodeId, trainer: nodes.trainerA.address, proof: proof(), submittedAt: at(100) }]))
  it("the result id is derived from the unit of work: a trainer cannot choose (or grind) it", () =>
    spec.given(running()).when(submitResult("trainerA", "my-lucky-id")).thenFails("ResultIdNotDerived", { expected: rA }))
  it("claims exactly the samples of its shards and the steps the plan implies", () => {
    spec.given(running()).when(submitResult("trainerA", undefined, { proof: proof({ sampleCount: 1_000_000_000 }) })).thenFails("ProofMismatch")
    spec.given(running()).when(submitResult("trainerA", undefined, { proof: proof({ steps: 63 }) })).thenFails("ProofMismatch")
    spec.given(running()).when(submitResult("trainerA", undefined, { proof: proof({ epochs: 1 }) })).thenFails("ProofMismatch")
  })
  it("commits its checkpoints: from the base to the submitted weights, at the protocol's interval, under their Merkle root", () => {
    const good = proof()
    spec.given(running()).when(submitResult("trainerA", undefined, { proof: { ...good, checkpoints: { ...good.checkpoints, root: hash32(0xdead) } } })).thenFails("ProofMismatch")
    spec.given(running()).when(submitResult("trainerA", undefined, { proof: { ...good, checkpoints: { ...good.checkpoints, interval: 8 } } })).thenFails("ProofMismatch")
    spec.given(running()).when(submitResult("trainerA", undefined, { proof: { ...good, weightsHash: hash32(0xf2) } })).thenFails("ProofMismatch")
    spec
      .given(running())
      .when(submitResult("trainerA", undefined, { proof: { ...good, checkpoints: { ...good.checkpoints, states: good.checkpoints.states.slice(0, -1) } } }))
      .thenFails("ProofMismatch")
  })
  it("only from a trainer of the task", () =>
    spec.given(running()).when(submitResult("trainerA", rA, { nodeId: nodes.validator1.nodeId, actor: nodes.validator1.address })).thenFails("NotParticipant"))
  it("signed by that trainer's key", () => spec.given(running()).when(submitResult("trainerA", rA, { actor: nodes.trainerB.address })).thenFails("NotNodeKey"))
  it("before the round deadline", () => spec.given(running()).when(submitResult("trainerA", rA, { at: at(601) })).thenFails("RoundDeadlinePassed"))
  it("from the round's base weights", () =>
    spec.given(running()).when(submitResult("trainerA", rA, { proof: proof({ baseWeightsHash: hash32(0xbad) }) })).thenFails("ProofMismatch"))
  it("on the task's shards with their registered hashes", () => {
    spec.given(running()).when(submitResult("trainerA", rA, { proof: proof({ shardIds: ["s9" as ShardId] }) })).thenFails("UnknownShard")
    spec.given(running()).when(submitResult("trainerA", rA, { proof: proof({ shardHashes: [hash32(0x99)] }) })).thenFails("ProofMismatch")
  })
  it("one result per trainer per round, unique ids", () => {
    spec.given(withResultA()).when(submitResult("trainerA", "rA2")).thenFails("ResultAlreadySubmitted")
    spec.given(withResultA()).when(submitResult("trainerB", rA)).thenFails("ResultAlreadySubmitted")
  })
  it("in a dispatched round, a result is a dispatched unit of work, delivered by its assignee, once", () => {
    const dispatched = decided(
      running(),
      new DispatchTraining({
        taskId,
        round: 1,
        assignments: [
          { slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as ShardId], seed: 7 },
          { slot: 1, nodeId: nodes.trainerB.nodeId, shardIds: ["s2" as ShardId], seed: 8 }
        ],
        actor: coordinator,
        at: at(5),
        actorIsCoordinator: true
      })
    )
    const slot1 = { proof: proof({ shardIds: ["s2" as ShardId], shardHashes: [hash32(0x52)], seed: 8 }) }
    spec.given(dispatched).when(submitResult("trainerA", "rX", { proof: proof({ seed: 99 }) })).thenFails("ProofMismatch")
    spec.given(dispatched).when(submitResult("trainerA", "rX", slot1)).thenFails("NotParticipant")
    const a = decided(dispatched, submitResult("trainerA", "T1-r1-s0-trainerA"))
    const b = decided(a, submitResult("trainerB", "T1-r1-s1-trainerB", slot1))
    // Reassigned slot 1 to trainerA: still refused while trainerB's result for it is live.
    const reassigned = decided(b, new DispatchTraining({ taskId, round: 1, assignments: [{ slot: 1, nodeId: nodes.trainerA.nodeId, shardIds: ["s2" as ShardId], seed: 8 }], actor: coordinator, at: at(6), actorIsCoordinator: true }))
    spec.given(reassigned).when(submitResult("trainerA", "T1-r1-s1-trainerA", slot1)).thenFails("ResultAlreadySubmitted")
    // A trainer may deliver several slots of a round.
    const reassignedEarly = decided(a, new DispatchTraining({ taskId, round: 1, assignments: [{ slot: 1, nodeId: nodes.trainerA.nodeId, shardIds: ["s2" as ShardId], seed: 8 }], actor: coordinator, at: at(6), actorIsCoordinator: true }))
    spec.given(reassignedEarly).when(submitResult("trainerA", "T1-r1-s1-trainerA", slot1)).thenEvents((e) => expect(e[0]!._tag).toBe("ResultSubmitted"))
    spec.given(reassignedEarly).when(submitResult("trainerA", "T1-r1-s7-trainerA", slot1)).thenFails("ResultIdNotDerived")
  })
  it("for the running round only", () => spec.given(running()).when(submitResult("trainerA", rA, { round: 2 })).thenFails("RoundNotRunning"))
})

describe("Task: CastVerificationVote (the reveal)", () => {
  it("records a vote; the quorum of accepts verifies the result with the median measurement", () => {
    const afterOne = panel(withResultA(), rA, [["validator1", "accept", { accuracy: 0.8, loss: 0.5 }]], [["validator2", "accept"]])
    spec
      .given(afterOne)
      .when(vote("validator2", rA, "accept", { accuracy: 0.82, loss: 0.7 }))
      .thenEvents((events) => {
        expect(events.map((e) => e._tag)).toEqual(["VerificationVoted", "ResultVerified"])
        expect(events[1]).toMatchObject({ consensusMetrics: { accuracy: 0.81, loss: 0.6 }, tally: { accept: 2, reject: 0 } })
      })
  })
  it("a single vote below quorum decides nothing", () =>
    spec.given(panel(withResultA(), rA, [], [["validator1", "accept"]])).when(vote("validator1", rA, "accept")).thenEvents((events) => expect(events.map((e) => e._tag)).toEqual(["VerificationVoted"])))
  it("the quorum of rejects (segment reproduced, claim wrong) rejects it, with the task's penalty", () => {
    const afterOne = panel(withResultA(), rA, [["validator1", "reject"]], [["validator3", "reject"]])
    spec
      .given(afterOne)
      .when(vote("validator3", rA, "reject"))
      .thenEvents((events) => expect(events[1]).toMatchObject({ _tag: "ResultRejected", penalized: true, tally: { accept: 0, reject: 2 } }))
  })
  it("only drawn validators vote", () =>
    spec
      .given(withResultA())
      .when(vote("validator1", rA, "accept", undefined, { nodeId: nodes.trainerB.nodeId, actor: nodes.trainerB.address }))
      .thenFails("NotAssignedValidator"))
  it("with their own key", () => spec.given(panel(withResultA(), rA, [], [["validator1", "accept"]])).when(vote("validator1", rA, "accept", undefined, { actor: stranger })).thenFails("NotNodeKey"))
  it("once each", () => spec.given(panel(withResultA(), rA, [["validator1", "accept"]])).when(vote("validator1", rA, "accept")).thenFails("AlreadyVoted"))
  it("after the decision, a late drawn validator still votes: recorded, decides nothing", () =>
    spec.given(verifiedA([["validator3", "accept"]])).when(vote("validator3", rA, "accept")).thenEvents((events) => expect(events.map((e) => e._tag)).toEqual(["VerificationVoted"])))
  it("one dissenting vote does not decide a result judged by several validators", () =>
    spec.given(panel(withResultA(), rA, [], [["validator1", "reject"]])).when(vote("validator1", rA, "reject")).thenEvents((events) => expect(events.map((e) => e._tag)).toEqual(["VerificationVoted"])))
  it("every validator whose verdict matches the outcome is paid, the late one too", () => {
    const allThree = panel(withResultA(), rA, [["validator1", "accept"], ["validator2", "accept"], ["validator3", "accept"]])
    const closed = decided(allThree, closeRound({ newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.4 } } }))
    const paidValidators = closed.filter((e) => e._tag === "RewardAllocated" && e.role === "validator").map((e) => (e as { nodeId?: string }).nodeId)
    expect(paidValidators.sort()).toEqual([nodes.validator1.nodeId, nodes.validator2.nodeId, nodes.validator3.nodeId].sort())
  })
  it("on a known result", () => spec.given(running()).when(vote("validator1", "nope", "accept")).thenFails("ResultNotFound"))
})

describe("Task: CloseRound", () => {
  const v2 = { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.4 } }
  it("pays the round (the trainer's reward held for the challenge window), records the new version and continues below target", () =>
    spec
      .given(verifiedA())
      .when(closeRound({ newVersion: v2 }))
      .thenEvents((events) => {
        expect(events.map((e) => e._tag)).toEqual(["RewardHeld", "RewardAllocated", "RewardAllocated", "RewardAllocated", "RoundClosed", "TaskContinued"])
        const paid = events.filter((e) => e._tag === "RewardAllocated")
        const byRole = Object.fromEntries(paid.map((e) => [e._tag === "RewardAllocated" ? `${e.role}:${e.recipient}` : "", e._tag === "RewardAllocated" ? e.amount : 0n]))
        // Pot 1,000,000: 70% to the only verified trainer (held until final), 20% split by the two agreeing votes, 10% to shard s1's provider.
        expect(events[0]).toMatchObject({ _tag: "RewardHeld", resultId: rA, recipient: nodes.trainerA.address, amount: 700_000n, finalAt: at(600) })
        expect(byRole[`validator:${nodes.validator1.address}`]).toBe(100_000n)
        expect(byRole[`validator:${nodes.validator2.address}`]).toBe(100_000n)
        expect(byRole[`dataProvider:${owner}`]).toBe(100_000n)
        expect(events[4]).toMatchObject({ _tag: "RoundClosed", paidOut: 300_000n, held: 700_000n, verifiedResults: [rA], newVersion: { modelId, version: 2 } })
        expect(events[5]).toMatchObject({ _tag: "TaskContinued", nextRound: 2 })
      }))
  it("completes when the held-out metric reaches the target, refunding the rest", () =>
    spec
      .given(verifiedA())
      .when(closeRound({ newVersion: { ...v2, metrics: { accuracy: 0.93, loss: 0.2 } } }))
      .thenEvents((events) => {
        expect(events.slice(-2).map((e) => e._tag)).toEqual(["TaskCompleted", "BudgetRefunded"])
        expect(events[events.length - 1]).toMatchObject({ amount: 2_000_000n, owner })
      }))
  it("exhausts after the last round", () => {
    let h: ReadonlyArray<TaskEvent> = [...taskCreated(), ...allJoined()]
    for (const r of [1, 2]) {
      h = decided(h, startRound(r, { at: at(r * 1000) }))
      h = decided(h, closeRound({ round: r, at: at(r * 1000 + 700) }))
    }
    h = decided(h, startRound(3, { at: at(3000) }))
    spec.given(h).when(closeRound({ round: 3, at: at(3700) })).thenEvents((events) => {
      expect(events.map((e) => e._tag)).toEqual(["RoundClosed", "TaskExhausted", "BudgetRefunded"])
      expect(events[1]).toMatchObject({ reason: "rounds" })
      expect(events[2]).toMatchObject({ amount: 3_000_000n })
    })
  })
  it("waits for undecided results until the deadline", () => spec.given(withResultA()).when(closeRound()).thenFails("RoundStillOpen"))
  it("a judge that committed but never revealed is listed, and not paid", () =>
    spec
      .given(verifiedA([["validator3", "accept"]]))
      .when(closeRound({ newVersion: v2 }))
      .thenEvents((events) => {
        expect(events.find((e) => e._tag === "RoundClosed")).toMatchObject({ unrevealed: [{ resultId: rA, nodeId: nodes.validator3.nodeId }] })
        expect(events.some((e) => e._tag === "RewardAllocated" && e.nodeId === nodes.validator3.nodeId)).toBe(false)
      }))
  it("after the deadline, undecided results are rejected without penalty and earn nothing", () =>
    spec.given(withResultA()).when(closeRound({ at: at(700) })).thenEvents((events) => {
      expect(events.map((e) => e._tag)).toEqual(["ResultRejected", "RoundClosed", "TaskContinued"])
      expect(events[0]).toMatchObject({ penalized: false, resultId: rA })
    }))
  it("needs the aggregated version when results were verified, and none otherwise", () => {
    spec.given(verifiedA()).when(closeRound()).thenFails("NewVersionRequired")
    spec.given(running()).when(closeRound({ newVersion: v2 })).thenFails("NewVersionRequired")
  })
  it("a penalised trainer forfeits its round rewards", () => {
    let h = decided(verifiedA(), submitResult("trainerB", rB, { proof: proof({ shardIds: ["s2" as ShardId], shardHashes: [hash32(0x52)] }) }))
    h = panel(decided(h, drawValidators(rB)), rB, [["validator1", "reject"], ["validator2", "reject"]])
    spec.given(h).when(closeRound({ newVersion: v2 })).thenEvents((events) => {
      const trainers = events.filter((e) => e._tag === "RewardHeld")
      expect(trainers.map((e) => (e._tag === "RewardHeld" ? e.recipient : ""))).toEqual([nodes.trainerA.address])
    })
  })
  it("only the owner or a coordinator closes", () => spec.given(verifiedA()).when(closeRound({ actor: stranger, newVersion: v2 })).thenFails("NotTaskOwner"))
  it("the new version must be of the task's model", () =>
    spec.given(verifiedA()).when(closeRound({ newVersion: { ...v2, ref: { modelId: "M-9" as ModelId, version: 2 } } })).thenFails("TaskConfigInvalid"))
})
