import { Result } from "effect"
import { stepsToRule } from "./bisection"
import type { CommitRuling, RevealRuling } from "./commands"
import { rulingCommitment } from "./commitments"
import {
  AlreadyVoted,
  CommitWindowClosed,
  CommitmentMismatch,
  NotDisputed,
  NotNodeKey,
  NotParticipant,
  ResultNotFound,
  RevealNotOpen,
  VoteAlreadyCommitted,
  VoteInconsistent,
  VoteNotCommitted,
  type TaskError
} from "./errors"
import type { StepRuling } from "./events"
import { drawValidators } from "./draw"
import { live, runningRound, type Decision, type Live } from "./guards"
import { addSeconds, type NodeId } from "../primitives"
import type { Participant, ResultState, TaskData, TaskState } from "./state"
import { contestOf } from "./votes"

/**
 * Who rules on a bisected dispute: a jury of the task's staked validators,
 * not the coordinator (docs/protocol.md §4). Bisection makes this
 * affordable: each juror replays only the step(s) the dispute comes down to.
 *
 * - The jury is the task's validators but the trainer's node and key, up to
 *   JURY_SIZE of them drawn by stake (`jurorsOf`). The result's judges may sit
 *   on it: leaving the disputing judges out would only shrink the honest side
 *   (the attacker's judges vote its way on the jury or off it).
 * - Jurors commit (hidden) then reveal their leaf for every step, as judges
 *   do (§3), so none can copy another's. Reveals open once every juror
 *   committed, or `commitSeconds` after the trainer's answer.
 * - Once jurors holding more than half the jury's stake have revealed, a
 *   step's verdict is the leaf with the most revealed stake (a strict
 *   plurality: lazy jurors each make up their own leaf, they form no bloc).
 *   Without one for every step the dispute stays unresolved (rejected
 *   without penalty at the deadline). A juror that revealed another leaf than
 *   a verdict is proven wrong (slashed).
 */

/**
 * The most jurors a dispute seats. An attacker with a third of the stake, the
 * rest honest, outweighs the honest among 63 drawn about 0.3 % of the time
 * (all three judges of a result are its own 3.7 % of the time); in the
 * simulation, where lazy and offline validators dilute the honest side to half
 * the stake, 34 of 4,816 juries (0.7 %).
 */
export const JURY_SIZE = 63

/**
 * The jury of a result's dispute: the task's validators but the trainer's node
 * and key, all of them up to JURY_SIZE, else JURY_SIZE drawn by committed
 * stake from the result's seed (the hash of the commit that recorded it:
 * fixed before anyone answered or voted, so nobody could choose the jury).
 * Drawn and weighed by the stake committed to the task, so the jury does not
 * change while a dispute runs.
 */
export const jurorsOf = (s: TaskData, r: Pick<ResultState, "nodeId" | "trainer" | "seed">): ReadonlyArray<Participant> => {
  // A pure function of the participants (a new map whenever one joins) and the result: drawn once.
  const cache = drawnJuries.get(s.participants) ?? new Map<string, ReadonlyArray<Participant>>()
  drawnJuries.set(s.participants, cache)
  const key = `${r.seed}|${r.nodeId}|${r.trainer}`
  const known = cache.get(key)
  if (known) return known
  const eligible = [...s.participants.values()].filter((p) => p.role === "validator" && p.stake > 0n && p.nodeId !== r.nodeId && p.address !== r.trainer)
  const drawn = eligible.length <= JURY_SIZE || !r.seed ? undefined : new Set<string>(drawValidators(`${r.seed}:jury`, { nodeId: r.nodeId, address: r.trainer }, eligible, JURY_SIZE))
  const jury = drawn ? eligible.filter((p) => drawn.has(p.nodeId)) : eligible
  cache.set(key, jury)
  return jury
}
const drawnJuries = new WeakMap<TaskData["participants"], Map<string, ReadonlyArray<Participant>>>()

/** When the jury's reveals open (every juror committed, or a commit window after the answer), or undefined before an answer. */
export const juryRevealOpensAt = (s: TaskData, r: ResultState): string | undefined => (r.answeredAt ? addSeconds(r.answeredAt, s.config.protocol.commitSeconds) : undefined)
export const juryRevealOpen = (s: TaskData, r: ResultState, atMs: number) =>
  jurorsOf(s, r).every((j) => r.jury?.commitments.has(j.nodeId)) || (r.answeredAt !== undefined && atMs >= Date.parse(juryRevealOpensAt(s, r)!))

/**
 * The jury's verdict on every step of a bisected dispute, and the jurors it
 * proves wrong; undefined until jurors holding more than half the jury's
 * committed stake have revealed, or when a step has no strict plurality.
 * Honest jurors reveal one leaf per step, the attacker's may agree on
 * another, lazy ones each make up their own: the step's ruling is the leaf
 * with the most revealed stake.
 */
export const juryVerdict = (s: TaskData, r: ResultState): { readonly rulings: Array<StepRuling>; readonly wrong: Array<{ nodeId: NodeId; reason: string }> } | undefined => {
  const steps = stepsToRule(r)
  if (!steps || !r.jury || r.jury.reveals.size === 0) return undefined
  const jurors = jurorsOf(s, r)
  const total = jurors.reduce((sum, j) => sum + j.stake, 0n)
  const revealed = jurors.filter((j) => r.jury!.reveals.has(j.nodeId))
  if (revealed.reduce((sum, j) => sum + j.stake, 0n) * 2n <= total) return undefined
  const rulings: Array<StepRuling> = []
  for (const step of steps) {
    const byLeaf = new Map<string, bigint>()
    for (const j of revealed) {
      const leaf = r.jury.reveals.get(j.nodeId)!.find((x) => x.step === step)?.leaf
      if (leaf) byLeaf.set(leaf, (byLeaf.get(leaf) ?? 0n) + j.stake)
    }
    const [first, second] = [...byLeaf].sort((a, b) => (a[1] === b[1] ? 0 : a[1] > b[1] ? -1 : 1))
    if (!first || (second && second[1] === first[1])) return undefined
    rulings.push({ resultId: r.resultId, step, leaf: first[0] as StepRuling["leaf"] })
  }
  const wrong = [...r.jury.reveals].flatMap(([nodeId, leaves]) => {
    const miss = rulings.find((v) => leaves.find((x) => x.step === v.step)?.leaf !== v.leaf)
    return miss ? [{ nodeId, reason: `its ruling on step ${miss.step} of ${r.resultId} is not the jury's` }] : []
  })
  return { rulings, wrong }
}

/** Every bisected dispute of a round the jury has ruled on: the step rulings, and the jurors they prove wrong. */
export const juryRulings = (s: TaskData, results: Iterable<ResultState>) => {
  const rulings: Array<StepRuling> = []
  const wrong: Array<{ resultId: ResultState["resultId"]; nodeId: NodeId; reason: string }> = []
  for (const r of results) {
    if (!contestOf(r)) continue
    const verdict = juryVerdict(s, r)
    if (!verdict) continue
    rulings.push(...verdict.rulings)
    wrong.push(...verdict.wrong.map((w) => ({ ...w, resultId: r.resultId })))
  }
  return { rulings, wrong }
}

interface Sitting {
  readonly s: Live
  readonly r: ResultState
  readonly steps: ReadonlyArray<number>
}

/** The result is a bisected dispute of the running round, and the node sits on its jury, signing with its key. */
const sitting = (c: CommitRuling | RevealRuling, state: TaskState): Result.Result<Sitting, TaskError> =>
  Result.flatMap(live(c.taskId, state), (s): Result.Result<Sitting, TaskError> =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Result.Result<Sitting, TaskError> => {
      const r = round.results.get(c.resultId)
      if (!r) return Result.fail(new ResultNotFound({ resultId: c.resultId }))
      const steps = contestOf(r) ? stepsToRule(r) : undefined
      if (!steps) return Result.fail(new NotDisputed({ resultId: c.resultId, reason: "no bisected dispute to rule on (not contested, not answered, or a judge revealed no step list)" }))
      const juror = jurorsOf(s, r).find((j) => j.nodeId === c.nodeId)
      if (!juror) return Result.fail(new NotParticipant({ nodeId: c.nodeId, role: "juror (a staked validator of the task, not the trainer)" }))
      if (c.actor !== juror.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
      return Result.succeed({ s, r, steps })
    })
  )

export const commitRuling = (c: CommitRuling, state: TaskState): Decision =>
  Result.flatMap(sitting(c, state), ({ r }): Decision => {
    if (r.jury?.commitments.has(c.nodeId)) return Result.fail(new VoteAlreadyCommitted({ resultId: c.resultId, nodeId: c.nodeId }))
    if ((r.jury?.reveals.size ?? 0) > 0) return Result.fail(new CommitWindowClosed({ resultId: c.resultId, nodeId: c.nodeId }))
    return Result.succeed([{ _tag: "RulingCommitted", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: c.nodeId, commitment: c.commitment, committedAt: c.at }])
  })

export const revealRuling = (c: RevealRuling, state: TaskState): Decision =>
  Result.flatMap(sitting(c, state), ({ s, r, steps }): Decision => {
    const commitment = r.jury?.commitments.get(c.nodeId)
    if (!commitment) return Result.fail(new VoteNotCommitted({ resultId: c.resultId, nodeId: c.nodeId }))
    if (r.jury?.reveals.has(c.nodeId)) return Result.fail(new AlreadyVoted({ resultId: c.resultId, nodeId: c.nodeId }))
    if (!juryRevealOpen(s, r, Date.parse(c.at))) {
      const waitingFor = jurorsOf(s, r).filter((j) => !r.jury?.commitments.has(j.nodeId)).length
      return Result.fail(new RevealNotOpen({ resultId: c.resultId, opensAt: juryRevealOpensAt(s, r)!, waitingFor }))
    }
    if (rulingCommitment(c) !== commitment) return Result.fail(new CommitmentMismatch({ resultId: c.resultId, nodeId: c.nodeId }))
    if (c.rulings.map((x) => x.step).join(",") !== steps.join(",")) {
      return Result.fail(new VoteInconsistent({ resultId: c.resultId, reason: `the dispute comes down to step(s) ${steps.join(", ")}, ascending` }))
    }
    return Result.succeed([{ _tag: "RulingRevealed", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: c.nodeId, rulings: c.rulings, salt: c.salt, revealedAt: c.at }])
  })
