import { describe, expect, it } from "vitest"
import { disputesOf, provenWrongBySteps, stateBefore, stepsToRule } from "../../../domain/task/bisection"
import { checkpointLeaf } from "../../../domain/task/commitments"
import { segmentBounds } from "../../../domain/task/draw"
import type { SegmentEvidence, StepRuling } from "../../../domain/task/events"
import type { ResultState } from "../../../domain/task/state"
import { loadTf } from "../../../infra/ml/tf"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import { replayLeaves } from "../../../nodes/infra/replay"
import { answerDispute } from "../../../nodes/trainer/answer"
import { trainOnWork, type TrainerBehaviour } from "../../../nodes/trainer/train"
import { verifyWork } from "../../../nodes/validator/verify"
import type { AnswerWork, VerifyWork } from "../../../nodes/workItems"
import { digitsShards, sampleWork } from "../../support/sampleWork"

/**
 * Bisection to one step on real TF.js training (domain/task/bisection.ts):
 * the trainer's answer and an honest judge's step list agree leaf for leaf,
 * any one step replayed from the answer's state before it is bit-exact, and
 * the referee's one-step replay proves the right side wrong.
 */
const shards = await digitsShards()
const data = shards.data

const setup = async (behaviour: TrainerBehaviour) => {
  const tf = await loadTf()
  const weights = inMemoryWeightsStore()
  const { work, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 5, seed: 42, epochs: 1 })
  const result = await trainOnWork(work, { tf, weights, data, behaviour })
  const verify = verifyFor(result)
  const answerOf = (v: VerifyWork): AnswerWork => ({ _tag: "AnswerWork", taskId: v.taskId, round: 1, resultId: v.resultId, nodeId: "trainer" as never, workload: v.workload, topology: v.topology, proof: v.proof, audit: v.audit, plan: v.plan })
  const deps = { tf, weights, data }
  const answer = await answerDispute(answerOf(verify), { ...deps, behaviour })
  const run = { proof: verify.proof, workload: verify.workload, topology: verify.topology, plan: verify.plan }
  /** The result as the log would have it once the judges revealed and the trainer answered. */
  const contested = (votes: ReadonlyArray<{ nodeId: string; evidence: SegmentEvidence }>): ResultState =>
    ({ resultId: verify.resultId, nodeId: "trainer", proof: verify.proof, audit: verify.audit, votes, answer, validators: [], commitments: new Map() }) as never
  /** What the referee does: replay each step the disputes come down to, from the state before it. */
  const referee = async (r: ResultState): Promise<Array<StepRuling>> => {
    const rulings: Array<StepRuling> = []
    for (const step of stepsToRule(r) ?? []) rulings.push({ resultId: r.resultId, step, leaf: (await replayLeaves(run, stateBefore(r, step)!, step - 1, step, deps))![0]! })
    return rulings
  }
  return { deps, verify, answer, run, contested, referee, ...segmentBounds(verify.audit.segment, verify.proof.checkpoints.interval, verify.proof.steps) }
}

describe("Bisection on real training", () => {
  it("an honest trainer's answer is the honest judge's list, state for state, every state is in the store, and every single step replays bit-exactly", async () => {
    const { deps, verify, answer, run, from, to } = await setup("honest")
    const judge = await verifyWork(verify, deps)
    expect(judge.evidence.steps).toHaveLength(to - from)
    expect(answer.map(checkpointLeaf)).toEqual(judge.evidence.steps)
    expect(judge.evidence.probeHash).toBe(judge.evidence.steps![verify.audit.probeStep - from - 1])
    for (const s of answer) expect((await deps.weights.get(s.weights)).byteLength).toBeGreaterThan(0)
    // Resuming from the answer's state after step k and replaying step k+1 alone gives its next leaf.
    for (let k = from + 1; k < to; k++) {
      const [leaf] = (await replayLeaves(run, answer[k - from - 1]!, k, k + 1, deps))!
      expect(leaf, `step ${k + 1}`).toBe(judge.evidence.steps![k - from])
    }
  }, 120_000)

  it("a lazy judge parts from an honest answer at the segment's first step; replaying that step alone proves the judge wrong, not the trainer", async () => {
    const { deps, verify, contested, referee, from } = await setup("honest")
    const honest = await verifyWork(verify, deps)
    const lazy = await verifyWork({ ...verify, nodeId: "lazy" as never }, { ...deps, behaviour: "lazy" })
    const r = contested([
      { nodeId: "honest", evidence: honest.evidence },
      { nodeId: "lazy", evidence: lazy.evidence }
    ])
    expect(disputesOf(r)).toEqual([{ nodeId: "lazy", step: from + 1 }])
    const found = provenWrongBySteps(r, await referee(r))
    expect(found.trainerBrokenAt).toBeUndefined()
    expect(found.wrongVotes.map((w) => w.vote.nodeId)).toEqual(["lazy"])
  }, 120_000)

  it("a forger that never trained answers with its base state after every step; the one-step replay proves it broken at the first, with the judge that vouched for it", async () => {
    const { deps, verify, contested, referee, from } = await setup("forgeRun")
    const honest = await verifyWork(verify, deps)
    expect(honest.verdict).toBe("reject")
    const accomplice = await verifyWork({ ...verify, nodeId: "sybil" as never }, { ...deps, behaviour: "lazy" })
    const r = contested([
      { nodeId: "honest", evidence: honest.evidence },
      { nodeId: "sybil", evidence: accomplice.evidence }
    ])
    expect(stepsToRule(r)).toEqual([from + 1])
    const found = provenWrongBySteps(r, await referee(r))
    expect(found.trainerBrokenAt?.step).toBe(from + 1)
    expect(found.wrongVotes.map((w) => w.vote.nodeId)).toEqual(["sybil"])
  }, 120_000)
})
