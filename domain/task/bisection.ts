import { Result } from "effect"
import type { AnswerDispute } from "./commands"
import { checkpointLeaf } from "./commitments"
import { segmentBounds } from "./draw"
import { DisputeAnswerInvalid, NotDisputed, NotNodeKey, ResultNotFound, type TaskError } from "./errors"
import type { CheckpointState, StepRuling } from "./events"
import { live, runningRound, type Decision } from "./guards"
import type { ResultState, TaskState, Vote } from "./state"
import { committedEndLeaf, contestOf } from "./votes"

/**
 * Bisecting a dispute to one step (docs/protocol.md §4, Verde's game in one
 * move per side). A judge reveals, beside its probe and end leaves, the leaf
 * after every step of the audited segment. When a result is contested its
 * trainer answers with its own states for the same steps (uploaded, each by
 * content hash). Both lists start from the committed state at the segment's
 * start and end where each side says, so where they differ there is a first
 * step s whose previous state both computed alike. The jury (jury.ts) replays
 * that one step from that state: whichever side's leaf at s differs from its
 * ruling is wrong. One step instead of a segment; and since the answer is opened
 * after the judges revealed, no judge could copy a leaf from it.
 *
 * A contested result whose trainer does not answer, or whose disagreeing
 * judge revealed no list, cannot be bisected: the coordinator's referee then
 * replays the whole segment (settle.ts), as before.
 */

/** Zeros: the state a step ruling starts from could not be fetched (the answer named bytes nobody uploaded). */
export const UNOPENED = `0x${"00".repeat(32)}` as StepRuling["leaf"]

/** The audited segment's step range: lists hold the states after steps from + 1 … to. */
export const auditedSteps = (r: Pick<ResultState, "audit" | "proof">) => segmentBounds(r.audit?.segment ?? 0, r.proof.checkpoints.interval, r.proof.steps)

/** The leaves of the trainer's answer, or undefined before it answered. */
const answerLeaves = (r: ResultState) => r.answer?.map(checkpointLeaf)

/** A disagreeing judge and the first step where its list and the trainer's answer part. */
export interface Dispute {
  readonly nodeId: Vote["nodeId"]
  readonly step: number
}

/**
 * The disputes of a contested result, one per judge whose list parts from the
 * trainer's answer; undefined when it cannot be bisected (no answer yet, or a
 * judge disagrees without a list).
 */
export const disputesOf = (r: ResultState): ReadonlyArray<Dispute> | undefined => {
  const trainer = answerLeaves(r)
  if (!trainer || !r.audit) return undefined
  const { from } = auditedSteps(r)
  const disputes: Array<Dispute> = []
  for (const v of r.votes) {
    const steps = v.evidence.steps
    if (!steps) {
      const agrees = v.evidence.endHash === trainer[trainer.length - 1] && v.evidence.probeHash === trainer[r.audit.probeStep - from - 1]
      if (agrees) continue
      return undefined
    }
    const i = steps.findIndex((leaf, k) => leaf !== trainer[k])
    if (i >= 0) disputes.push({ nodeId: v.nodeId, step: from + 1 + i })
  }
  return disputes
}

/** The state a step's replay starts from: the committed segment start, or the trainer's answer before it. */
export const stateBefore = (r: ResultState, step: number): CheckpointState | undefined => {
  const { from } = auditedSteps(r)
  return step - 1 === from ? r.proof.checkpoints.states[r.audit?.segment ?? 0] : r.answer?.[step - from - 2]
}

/** The steps a jury must replay to settle a contested result by bisection (distinct, ascending), or undefined. */
export const stepsToRule = (r: ResultState): ReadonlyArray<number> | undefined => {
  const disputes = disputesOf(r)
  return disputes && [...new Set(disputes.map((d) => d.step))].sort((a, b) => a - b)
}

/** Whether the step rulings at hand settle every dispute of a contested, bisectable result. */
export const settledByStepRulings = (r: ResultState, rulings: ReadonlyArray<StepRuling>): boolean => {
  const steps = stepsToRule(r)
  return steps !== undefined && steps.every((s) => rulings.some((x) => x.resultId === r.resultId && x.step === s))
}

/** Who the step rulings prove wrong on a bisected result: the trainer, and every judge that vouched for a state the replay contradicts. */
export const provenWrongBySteps = (r: ResultState, rulings: ReadonlyArray<StepRuling>) => {
  const trainer = answerLeaves(r) ?? []
  const { from } = auditedSteps(r)
  const mine = rulings.filter((x) => x.resultId === r.resultId)
  const leafAt = (list: ReadonlyArray<string>, step: number) => (step === from ? checkpointLeaf(r.proof.checkpoints.states[r.audit!.segment]!) : list[step - from - 1])
  const brokenAt = mine.find((x) => x.leaf === UNOPENED || x.leaf !== leafAt(trainer, x.step))
  const wrongVotes = r.votes.flatMap((v): Array<{ vote: Vote; reason: string }> => {
    const steps = v.evidence.steps
    // A judge whose list shares the replayed step's start and differs after it computed that step wrongly.
    const miss = steps && mine.find((x) => x.leaf !== UNOPENED && leafAt(steps, x.step - 1) === leafAt(trainer, x.step - 1) && leafAt(steps, x.step) !== x.leaf)
    if (miss) return [{ vote: v, reason: `its state after step ${miss.step} is not the jury's replay of that step` }]
    // One that vouched for the trainer's end of a run a replay proved broken did not re-execute it
    // (an answer that could not be opened proves nothing about the committed states themselves).
    if (brokenAt && brokenAt.leaf !== UNOPENED && v.evidence.endHash === committedEndLeaf(r)) return [{ vote: v, reason: `it vouched for a run the jury proved broken at step ${brokenAt.step}` }]
    return []
  })
  return { trainerBrokenAt: brokenAt, wrongVotes }
}

/**
 * The trainer of a contested result answers with its state after every step
 * of the audited segment: signed by its node's key, once, while the round
 * runs; as many states as the segment has steps, the last one its committed
 * end-of-segment state.
 */
export const answerDispute = (c: AnswerDispute, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const r = round.results.get(c.resultId)
      if (!r) return Result.fail(new ResultNotFound({ resultId: c.resultId }))
      const trainer = s.participants.get(c.nodeId)
      if (r.nodeId !== c.nodeId || !trainer) return Result.fail(new NotDisputed({ resultId: c.resultId, reason: `${c.nodeId} did not submit this result` }))
      if (c.actor !== trainer.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
      const refuse = (reason: string): Result.Result<never, TaskError> => Result.fail(new DisputeAnswerInvalid({ resultId: c.resultId, reason }))
      if (!contestOf(r)) return Result.fail(new NotDisputed({ resultId: c.resultId, reason: "no judge contests it" }))
      if (r.answer) return Result.fail(new NotDisputed({ resultId: c.resultId, reason: "already answered" }))
      const { from, to } = auditedSteps(r)
      if (c.states.length !== to - from) return refuse(`segment ${r.audit!.segment} has ${to - from} steps, the answer ${c.states.length} states`)
      if (checkpointLeaf(c.states[c.states.length - 1]!) !== committedEndLeaf(r)) return refuse("the last state is not the committed end of the segment")
      return Result.succeed([{ _tag: "DisputeAnswered", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: c.nodeId, states: c.states, answeredAt: c.at }])
    })
  )
