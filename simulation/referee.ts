import { auditedSteps, stateBefore, stepsToRule } from "../domain/task/bisection"
import { checkpointLeaf, rulingCommitment } from "../domain/task/commitments"
import { CommitRuling, RevealRuling } from "../domain/task/commands"
import type { CheckpointState, Ruling, StepLeaf } from "../domain/task/events"
import { jurorsOf, juryRulings } from "../domain/task/jury"
import type { Hash32, TaskId } from "../domain/primitives"
import { settleRound } from "../domain/task/settle"
import type { ResultState, RoundState, TaskState } from "../domain/task/state"
import { contestOf } from "../domain/task/votes"
import type { SimNode } from "./population"
import type { Tally } from "./tally"
import { h, leavesOf, replay, stepFrom } from "./training"

/**
 * The simulation's rulings at close. A contested result its trainer answered
 * is bisected and ruled by its jury (every staked validator of the task but
 * the trainer; domain/task/jury.ts): honest jurors replay the disputed step,
 * the attacker's Sybils vouch for its forger's states, lazy jurors make
 * leaves up, offline ones stay silent. Any other contested result is ruled
 * by the referee's replay of its segment. Every bisected result is also
 * settled the old way, by replaying its whole segment, and the two are
 * compared: they agree on every dispute an honest party raised; where they
 * differ, the segment replay caught a forgery no honest judge disputed (the
 * panel was the forger's accomplices and lazy judges), which bisection leaves
 * to the challenge window's watchers.
 */
export const rule = (
  context: {
    readonly state: () => TaskState
    readonly apply: (command: CommitRuling | RevealRuling) => unknown
    readonly nodes: ReadonlyMap<string, SimNode>
    readonly answers: ReadonlyMap<string, ReadonlyArray<CheckpointState>>
    readonly truths: ReadonlyMap<string, ReadonlyArray<CheckpointState>>
    readonly taskId: TaskId
    readonly round: number
    readonly at: (offsetSeconds: number) => string
  },
  tally: Tally
) => {
  const running = () => {
    const s = context.state()
    return s.status === "running" ? s : (undefined as never)
  }
  const contested = [...running().round!.results.values()].filter((r) => contestOf(r))
  const rulings: Array<Ruling> = []
  for (const r of contested) {
    const { from, to } = auditedSteps(r)
    tally.segmentRefereeUnits += to - from
    const steps = stepsToRule(r)
    if (!steps) {
      rulings.push(segmentRuling(r, context.truths))
      tally.refereeUnits += to - from
      continue
    }
    sitJury(context, r, steps, tally)
    tally.bisected++
    tally.bisectedSteps += steps.length
  }
  const round = running().round!
  const jury = juryRulings(running(), round.results.values())
  const settled = settleRound(round, rulings, context.at(5000), true, jury.rulings)
  // Juries the attacker's jurors outweighed: a ruling that is not the step's honest replay.
  for (const r of contested) {
    const mine = jury.rulings.filter((x) => x.resultId === r.resultId)
    if (mine.some((x) => x.leaf !== checkpointLeaf(stepFrom(stateBefore(r, x.step)!, x.step)))) tally.juriesOutvoted++
  }
  compareWithSegmentReplay(round, context.truths, settled, context.at(5000), tally)
  return { rulings, settled }
}

const sitJury = (context: Parameters<typeof rule>[0], r: ResultState, steps: ReadonlyArray<number>, tally: Tally) => {
  const trainerForges = context.nodes.get(r.nodeId)?.kind === "forger"
  const answer = context.answers.get(r.resultId)!
  const { from } = auditedSteps(r)
  const ballots = jurorsOf(context.state() as never, r).flatMap((j) => {
    const kind = context.nodes.get(j.nodeId)?.kind
    if (kind === "offline") return []
    const leafOf = (step: number): Hash32 => {
      if (kind === "lazy") return h("lazy-ruling", j.nodeId, r.resultId, step)
      if (kind === "sybil" && trainerForges) return checkpointLeaf(answer[step - from - 1]!)
      tally.refereeUnits += 1
      return checkpointLeaf(stepFrom(stateBefore(r, step)!, step))
    }
    const rulings: Array<StepLeaf> = steps.map((step) => ({ step, leaf: leafOf(step) }))
    return [{ j, rulings, salt: h("jury-salt", j.nodeId, r.resultId) }]
  })
  tally.jurorsSeated += ballots.length
  const ids = { taskId: context.taskId, round: context.round, resultId: r.resultId }
  for (const b of ballots) {
    const commitment = rulingCommitment({ resultId: r.resultId, nodeId: b.j.nodeId, rulings: b.rulings, salt: b.salt })
    context.apply(new CommitRuling({ ...ids, nodeId: b.j.nodeId, commitment, actor: b.j.address, at: context.at(1000) }))
  }
  for (const b of ballots) context.apply(new RevealRuling({ ...ids, nodeId: b.j.nodeId, rulings: b.rulings, salt: b.salt, actor: b.j.address, at: context.at(2000) }))
}

/** What the referee's replay of a result's whole audited segment finds (the honest run from its committed start). */
const segmentRuling = (r: ResultState, truths: ReadonlyMap<string, ReadonlyArray<CheckpointState>>): Ruling => {
  const { from, to } = auditedSteps(r)
  const chain = leavesOf(replay(truths.get(r.resultId)![r.audit!.segment]!, from, to))
  return { resultId: r.resultId, evidence: { probeHash: chain[r.audit!.probeStep - from - 1]!, endHash: chain[chain.length - 1]! } }
}

const compareWithSegmentReplay = (
  round: RoundState,
  truths: ReadonlyMap<string, ReadonlyArray<CheckpointState>>,
  settled: ReturnType<typeof settleRound>,
  at: string,
  tally: Tally
) => {
  const bisected = [...round.results.values()].filter((r) => contestOf(r) && stepsToRule(r))
  if (bisected.length === 0) return
  // As if nobody had answered: the referee's segment replay of each.
  const unanswered = new Map(bisected.map((r) => [r.resultId, { ...r, answer: undefined }]))
  const asBefore = settleRound({ ...round, results: unanswered }, bisected.map((r) => segmentRuling(r, truths)), at, true)
  const wrongOn = (s: ReturnType<typeof settleRound>, id: string) => s.provenWrong.filter((w) => w.resultId === id).map((w) => w.nodeId).sort().join(",")
  for (const r of bisected) {
    const a = settled.results.get(r.resultId)!
    const b = asBefore.results.get(r.resultId)!
    if (a.outcome === b.outcome && wrongOn(settled, r.resultId) === wrongOn(asBefore, r.resultId)) tally.bisectionAgrees++
    else if (b.penalized && !a.penalized) tally.bisectionLeftToWatchers++
  }
}
