import { describe, expect, it } from "vitest"
import { fold } from "../../domain/decider"
import { task } from "../../domain/task"
import { AnswerDispute, ChallengeResult, CommitRuling, DispatchTraining, RevealRuling } from "../../domain/task/commands"
import { checkpointLeaf, rulingCommitment } from "../../domain/task/commitments"
import { segmentBounds } from "../../domain/task/draw"
import type { TaskEvent } from "../../domain/task/events"
import type { TaskData } from "../../domain/task/state"
import { reconcileTask, REVEAL_MARGIN_MS, type Action } from "../../nodes/dispatcher/workflow"
import { planRound } from "../../nodes/dispatcher/plan"
import { routeAhead } from "../../nodes/dispatcher/pipelining"
import type { TrainWork } from "../../nodes/workItems"
import { applying } from "../support/deciderSpec"
import { hash32 } from "../support/events"
import { allJoined, at, audit, closeRound, honestEvidence, commitVote, coordinator, drawValidators, modelId, nodes, proof, rA, roundStarted, submitResult, taskCreated, vote } from "../support/fixtures"

/**
 * The coordinator's decisions as a pure workflow: given what the log says
 * (and what it already did, and who it heard from), when it reconciles, then
 * these actions. No NATS, no API, no clock but the one given.
 */
const decided = applying(task)
const everyoneBeating = (nowMs: number) => new Map(Object.values(nodes).map((n) => [n.nodeId as string, nowMs]))
const given = (history: ReadonlyArray<TaskEvent>, options: { nowMs?: number; published?: ReadonlyArray<string>; silent?: ReadonlyArray<string>; speculate?: boolean } = {}) => {
  const nowMs = options.nowMs ?? Date.parse(at(120))
  const t = fold(task, history) as TaskData & { status: string }
  const lastSeen = everyoneBeating(nowMs)
  for (const n of options.silent ?? []) lastSeen.set(n, -Infinity)
  return reconcileTask({
    task: t,
    topology: { class_name: "Sequential" },
    queues: new Set(Object.values(nodes).map((n) => n.nodeId as string)),
    published: new Set(options.published ?? []),
    seen: { lastSeen, watchingSince: 0, nowMs },
    capability: "tfjs",
    subjectPrefix: "cmd",
    reassignAfter: 0.5,
    ...(options.speculate === undefined ? {} : { speculate: options.speculate })
  })
}
const tags = (actions: ReadonlyArray<Action>) => actions.map((a) => (a._tag === "Send" ? `Send ${a.type}` : a._tag === "Publish" ? `Publish ${a.work._tag}${a.work._tag === "VerifyWork" ? `:${a.work.phase}` : ""}` : a._tag))
/** A dispatched round: trainerA's slot 0 (shard s1, seed 7: the fixtures' proof), trainerB's slot 1. */
const dispatched = () =>
  decided(
    [...taskCreated(), ...allJoined(), roundStarted()],
    new DispatchTraining({
      taskId: "T1" as never,
      round: 1,
      assignments: [
        { slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as never], seed: 7 },
        { slot: 1, nodeId: nodes.trainerB.nodeId, shardIds: ["s2" as never], seed: 8 }
      ],
      actor: coordinator,
      at: at(5),
      actorIsCoordinator: true
    })
  )
const r0 = "T1-r1-s0-trainerA"
const submitted = () => decided(dispatched(), submitResult("trainerA", r0))
const drawn = () => decided(submitted(), drawValidators(r0))
const verifyTags = (actions: ReadonlyArray<Action>) => tags(actions).filter((t) => t.startsWith("Publish VerifyWork"))

describe("coordinator workflow", () => {
  it("given an open task with enough participants, then it starts the next round", () => {
    expect(tags(given([...taskCreated(), ...allJoined()]))).toEqual(["Send StartRound"])
  })
  it("given a running round nobody dispatched, then it plans and dispatches it", () => {
    const actions = given([...taskCreated(), ...allJoined(), roundStarted()])
    expect(tags(actions)).toEqual(["Send DispatchTraining"])
    expect(actions[0]).toMatchObject({ commandId: "dispatch-T1-r1" })
  })
  it("given dispatched slots, then training work goes to each assignee, never again once delivered", () => {
    expect(tags(given(dispatched()))).toEqual(["Publish TrainWork", "Publish TrainWork"])
    expect(tags(given(submitted())).filter((t) => t === "Publish TrainWork")).toHaveLength(1)
  })
  it("given a result without judges, then it asks for the draw (it never picks them)", () => {
    expect(tags(given(submitted())).filter((t) => t.startsWith("Send"))).toEqual(["Send DrawValidators"])
  })
  it("given drawn judges, then commit work goes to each; once all committed, reveal work", () => {
    expect(verifyTags(given(drawn()))).toEqual(["Publish VerifyWork:commit", "Publish VerifyWork:commit", "Publish VerifyWork:commit"])
    const all = (["validator1", "validator2", "validator3"] as const).reduce((h, n) => decided(h, commitVote(n, r0, "accept")), drawn())
    expect(verifyTags(given(all))).toEqual(["Publish VerifyWork:reveal", "Publish VerifyWork:reveal", "Publish VerifyWork:reveal"])
  })
  it("given a judge that never commits, then reveals are routed only after the commit window (with a margin for clock skew)", () => {
    const two = (["validator1", "validator2"] as const).reduce((h, n) => decided(h, commitVote(n, r0, "accept")), drawn())
    const reveals = (nowMs: number) => verifyTags(given(two, { nowMs })).filter((t) => t === "Publish VerifyWork:reveal").length
    expect(reveals(Date.parse(at(160)) + REVEAL_MARGIN_MS - 1)).toBe(0)
    expect(reveals(Date.parse(at(160)) + REVEAL_MARGIN_MS)).toBe(2)
  })
  it("given every slot's result decided and every judge revealed, then it closes the round; not before", () => {
    const judge = (h: ReadonlyArray<TaskEvent>, id: string) => {
      const committed = (["validator1", "validator2", "validator3"] as const).reduce((acc, n) => decided(acc, commitVote(n, id, "accept")), h)
      return (["validator1", "validator2", "validator3"] as const).reduce((acc, n) => decided(acc, vote(n, id, "accept", undefined, { resultId: id as never })), committed)
    }
    const one = judge(drawn(), r0)
    expect(tags(given(one, { nowMs: Date.parse(at(250)) }))).not.toContain("CloseRound")
    const slot1 = { proof: proof({ shardIds: ["s2" as never], shardHashes: [hash32(0x52)], seed: 8 }) }
    const both = judge(decided(decided(one, submitResult("trainerB", "T1-r1-s1-trainerB", slot1)), drawValidators("T1-r1-s1-trainerB")), "T1-r1-s1-trainerB")
    expect(tags(given(both, { nowMs: Date.parse(at(250)) }))).toContain("CloseRound")
  })
  it("given a contested result, then its trainer is asked to open the segment, and the round waits for the answer, or a commit window, or less if the trainer is silent", () => {
    const { from, to } = segmentBounds(audit().segment, 4, 64)
    const states = Array.from({ length: to - from }, (_, i) => (i === to - from - 1 ? proof().checkpoints.states[audit().segment + 1]! : { weights: hash32(0x9100 + i), optimizer: hash32(0x9200 + i) }))
    const leaves = states.map(checkpointLeaf)
    const listed = (list: ReadonlyArray<string>) => ({ probeHash: list[audit().probeStep - from - 1]!, endHash: list.at(-1)!, steps: list }) as ReturnType<typeof honestEvidence>
    const made = leaves.map((l, i) => (i === leaves.length - 1 ? l : hash32(0x1a00 + i)))
    const judge = (h: ReadonlyArray<TaskEvent>, id: string, lazy = false) => {
      const evidence = (n: string) => (lazy ? (n === "validator3" ? listed(made) : listed(leaves)) : honestEvidence())
      const names = ["validator1", "validator2", "validator3"] as const
      const committed = names.reduce((acc, n) => decided(acc, commitVote(n, id, "accept", evidence(n))), h)
      return names.reduce((acc, n) => decided(acc, vote(n, id, "accept", undefined, { resultId: id as never, evidence: evidence(n) })), committed)
    }
    const slot1 = { proof: proof({ shardIds: ["s2" as never], shardHashes: [hash32(0x52)], seed: 8 }) }
    const contested = judge(decided(decided(judge(drawn(), r0, true), submitResult("trainerB", "T1-r1-s1-trainerB", slot1)), drawValidators("T1-r1-s1-trainerB")), "T1-r1-s1-trainerB")
    const answerWork = given(contested, { nowMs: Date.parse(at(210)) }).find((a) => a._tag === "Publish" && a.work._tag === "AnswerWork")
    expect(answerWork).toMatchObject({ subject: `cmd.answer.tfjs.${nodes.trainerA.nodeId}`, msgID: `answer-${r0}`, work: { resultId: r0, nodeId: nodes.trainerA.nodeId, audit: audit() } })
    // The commit deadline is at(160); one commit window (60 s) later the referee stops waiting.
    expect(tags(given(contested, { nowMs: Date.parse(at(210)) }))).not.toContain("CloseRound")
    expect(tags(given(contested, { nowMs: Date.parse(at(221)) }))).toContain("CloseRound")
    expect(tags(given(contested, { nowMs: Date.parse(at(210)), silent: [nodes.trainerA.nodeId] }))).toContain("CloseRound")
    const answered = decided(contested, new AnswerDispute({ taskId: "T1" as never, round: 1, resultId: r0 as never, nodeId: nodes.trainerA.nodeId, states, actor: nodes.trainerA.address, at: at(205) }))
    const actions = tags(given(answered, { nowMs: Date.parse(at(210)) }))
    expect(actions).not.toContain("Publish AnswerWork")
    // Answered: the dispute is bisected to the segment's first step (the lazy judge's list parts there),
    // and every staked validator but the trainer sits on its jury; the round waits for its verdict.
    const jury = (h: ReadonlyArray<TaskEvent>, nowMs: number) =>
      given(h, { nowMs }).flatMap((a) => (a._tag === "Publish" && a.work._tag === "JuryWork" ? [{ node: a.work.nodeId, phase: a.work.phase, steps: a.work.steps }] : []))
    const commits = jury(answered, Date.parse(at(210)))
    expect(commits.map((j) => j.node).sort()).toEqual([nodes.validator1.nodeId, nodes.validator2.nodeId, nodes.validator3.nodeId].sort())
    expect(commits.every((j) => j.phase === "commit" && j.steps.length === 1 && j.steps[0]!.step === from + 1)).toBe(true)
    expect(commits[0]!.steps[0]!.start).toEqual(proof().checkpoints.states[audit().segment])
    expect(actions).not.toContain("CloseRound")
    const leaf = checkpointLeaf(states[0]!)
    const names = ["validator1", "validator2", "validator3"] as const
    const rulingOf = (n: (typeof names)[number]) => ({ taskId: "T1" as never, round: 1, resultId: r0 as never, nodeId: nodes[n].nodeId, actor: nodes[n].address })
    const salt = hash32(0x5a)
    const committed = names.reduce(
      (h, n) => decided(h, new CommitRuling({ ...rulingOf(n), commitment: rulingCommitment({ resultId: r0, nodeId: nodes[n].nodeId, rulings: [{ step: from + 1, leaf }], salt }), at: at(211) })),
      answered
    )
    expect(jury(committed, Date.parse(at(212))).map((j) => j.phase)).toEqual(["reveal", "reveal", "reveal"])
    const revealed = names.reduce((h, n) => decided(h, new RevealRuling({ ...rulingOf(n), rulings: [{ step: from + 1, leaf }], salt, at: at(212) })), committed)
    expect(tags(given(revealed, { nowMs: Date.parse(at(213)) }))).toContain("CloseRound")
  })
  describe("round pipelining", () => {
    const rB = "T1-r1-s1-trainerB"
    const slot1 = { proof: proof({ shardIds: ["s2" as never], shardHashes: [hash32(0x52)], seed: 8 }) }
    const bothIn = () => decided(submitted(), submitResult("trainerB", rB, slot1))
    const speculations = (actions: ReadonlyArray<Action>) => actions.filter((a) => a._tag === "Speculate")
    it("given every slot's result in (none judged yet), then the next round's planned work is routed ahead from their aggregate, once, after this round's own work", () => {
      const actions = given(bothIn())
      const [ahead] = speculations(actions)
      expect(actions.at(-1)).toBe(ahead)
      expect(ahead).toMatchObject({ taskId: "T1", round: 1, key: "speculate-T1-r1", results: [r0, rB] })
      if (ahead?._tag !== "Speculate") throw new Error("no speculation")
      // planRound's rotation for round 2: slot 0 goes to the next trainer; same shards per slot, a round-2 seed.
      const t = fold(task, bothIn()) as TaskData
      const planned = planRound(t, 2)
      expect(ahead.work.map((w) => [w.work.round, w.work.slot, w.work.nodeId, w.work.seed, w.work.shards.map((s) => s.shardId)])).toEqual(
        planned.map((a) => [2, a.slot, a.nodeId, a.seed, a.shardIds])
      )
      expect(ahead.work.map((w) => w.subject)).toEqual(planned.map((a) => `cmd.train.tfjs.${a.nodeId}`))
      expect(ahead.work.every((w) => !("baseWeightsHash" in w.work) && !("deadline" in w.work))).toBe(true)
      expect(speculations(given(bothIn(), { published: ["speculate-T1-r1"] }))).toEqual([])
    })
    it("given a slot still training, then nothing is routed ahead", () => {
      expect(speculations(given(submitted()))).toEqual([])
    })
    it("given the task's last round, or a coordinator that does not speculate, then nothing is routed ahead", () => {
      expect(speculations(given(bothIn(), { speculate: false }))).toEqual([])
      const last = [...taskCreated(), ...allJoined(), roundStarted(3)]
      expect(fold(task, last)).toMatchObject({ roundsStarted: 3 })
      const dispatched3 = decided(
        last,
        new DispatchTraining({ taskId: "T1" as never, round: 3, assignments: [{ slot: 0, nodeId: nodes.trainerA.nodeId, shardIds: ["s1" as never], seed: 7 }], actor: coordinator, at: at(5), actorIsCoordinator: true })
      )
      const resultIn = decided(dispatched3, submitResult("trainerA", "T1-r3-s0-trainerA", { round: 3 }))
      expect(tags(given(resultIn))).not.toContain("Speculate")
    })
    it("given a contested result, then nothing is routed ahead (its aggregate would not be the round's)", () => {
      const judged = (h: ReadonlyArray<TaskEvent>, id: string, verdict: "accept" | "reject") => {
        const names = ["validator1", "validator2", "validator3"] as const
        const committed = names.reduce((acc, n) => decided(acc, commitVote(n, id, verdict)), decided(h, drawValidators(id)))
        return names.reduce((acc, n) => decided(acc, vote(n, id, verdict, undefined, { resultId: id as never })), committed)
      }
      expect(speculations(given(judged(bothIn(), r0, "accept")))).toHaveLength(1)
      expect(speculations(given(judged(bothIn(), r0, "reject")))).toEqual([])
    })
    describe("routing ahead (the coordinator's side, its I/O passed in)", () => {
      const routed = async (met: boolean) => {
        const t = fold(task, bothIn()) as TaskData
        const [ahead] = speculations(given(bothIn()))
        if (ahead?._tag !== "Speculate") throw new Error("no speculation")
        const aggregated: Array<ReadonlyArray<string>> = []
        const stored: Array<Uint8Array> = []
        const published: Array<{ subject: string; work: TrainWork; msgID: string }> = []
        const log: Array<string> = []
        const averaged = new Uint8Array([1, 2, 3])
        await routeAhead(t, ahead, {
          aggregate: async (results) => (aggregated.push(results.map((r) => r.resultId)), averaged),
          completes: async (weights) => ({ met: met && weights === averaged, measured: "accuracy 0.9700" }),
          put: async (weights) => (stored.push(weights), hash32(0xa99)),
          publish: async (subject, work, msgID) => void published.push({ subject, work, msgID }),
          now: () => new Date(at(10)),
          log: (l) => void log.push(l)
        })
        return { ahead, aggregated, stored, published, log }
      }
      it("given the aggregate of every result short of the target, then it is stored and the next round's work routed from it, speculative, due a round later", async () => {
        const { ahead, aggregated, stored, published, log } = await routed(false)
        expect(aggregated).toEqual([[r0, rB]])
        expect(stored).toHaveLength(1)
        expect(published.map((p) => [p.subject, p.msgID])).toEqual(ahead.work.map((w) => [w.subject, w.msgID]))
        expect(published.every((p) => p.work.speculative === true && p.work.baseWeightsHash === hash32(0xa99))).toBe(true)
        expect(published.every((p) => Date.parse(p.work.deadline) > Date.parse(at(10)))).toBe(true)
        expect(log.join("\n")).toMatch(/routing round 2 .* ahead/)
      })
      it("given the aggregate of every result already at the target, then nothing is stored or routed: that round completes the task", async () => {
        const { stored, published, log } = await routed(true)
        expect(stored).toEqual([])
        expect(published).toEqual([])
        expect(log.join("\n")).toMatch(/measures accuracy 0\.9700, which reaches the target: nothing to train ahead/)
      })
    })
  })
  it("given a held result, then it finalizes it after its window; given a challenge, then it referees it first", () => {
    const drawn = decided(decided([...taskCreated(), ...allJoined(), roundStarted()], submitResult("trainerA")), drawValidators(rA))
    const committed = (["validator1", "validator2"] as const).reduce((h, n) => decided(h, commitVote(n, rA, "accept")), drawn)
    const revealed = (["validator1", "validator2"] as const).reduce((h, n) => decided(h, vote(n, rA, "accept")), committed)
    const closed = decided(revealed, closeRound({ newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.4 } } }))
    expect(tags(given(closed, { nowMs: Date.parse(at(600)) }))).not.toContain("Send FinalizeResult")
    expect(tags(given(closed, { nowMs: Date.parse(at(602)) }))).toContain("Send FinalizeResult")
    const challenged = decided(closed, new ChallengeResult({ taskId: "T1" as never, resultId: rA, nodeId: nodes.validator3.nodeId, segment: 2, endHash: hash32(0xc0ffee), actor: nodes.validator3.address, at: at(400) }))
    const actions = tags(given(challenged, { nowMs: Date.parse(at(700)) }))
    expect(actions).toContain("RefereeChallenge")
    expect(actions).not.toContain("Send FinalizeResult")
  })
})
