import type { DispatchedAssignment, ResultState, TaskData } from "../../domain/task/state"
import { contestOf } from "../../domain/task/votes"
import { sameWork } from "../../domain/task/work"
import { shardRefsOf, workSubject, type AnswerWork, type JuryWork, type ScoreWork, type TrainWork, type VerifyWork } from "../workItems"
import { stateBefore, stepsToRule } from "../../domain/task/bisection"
import { jurorsOf, juryRevealOpensAt, juryVerdict } from "../../domain/task/jury"
import { isSilent, slotsToReassign, validatorsToReplace, type Sightings } from "./liveness"
import { planRound, roundCanClose } from "./plan"
import { speculation, trainingWorkOf, type Speculate } from "./pipelining"

/**
 * The coordinator's decisions as a pure workflow (emmett's workflow shape):
 * given a task's state as the log says, what it has already done, and the
 * sightings of the nodes, `reconcileTask` returns what to do next. The
 * executor (coordinator.ts) performs the actions in order and feeds the log
 * back in. Level-triggered: a repeat of any action is harmless (commands
 * carry deterministic ids, work items deterministic message ids).
 */
export type Action =
  | { readonly _tag: "EnsureQueue"; readonly nodeId: string }
  | { readonly _tag: "Send"; readonly type: string; readonly payload: unknown; readonly commandId: string; readonly log: string }
  | { readonly _tag: "Publish"; readonly subject: string; readonly work: TrainWork | VerifyWork | AnswerWork | JuryWork | ScoreWork; readonly msgID: string }
  /** Referee contested results, aggregate the verified ones, close the round (I/O heavy: the executor's job). */
  | { readonly _tag: "CloseRound"; readonly taskId: string; readonly round: number }
  /** Re-execute a challenged segment and rule on the challenge. */
  | { readonly _tag: "RefereeChallenge"; readonly taskId: string; readonly resultId: string }
  | Speculate

export interface WorkflowContext {
  readonly task: TaskData & { readonly status: string }
  /** The base model's topology (from its stream). */
  readonly topology: Record<string, unknown> | undefined
  /** Queues already made sure of, and work items already published, by this coordinator. */
  readonly queues: ReadonlySet<string>
  readonly published: ReadonlySet<string>
  readonly seen: Sightings
  readonly capability: string
  readonly subjectPrefix: string
  /** Fraction of the round's time after which an undelivered slot of a live trainer is reassigned once. */
  readonly reassignAfter: number
  /** Route the next round's training while this one is verified (round pipelining); on unless a coordinator turns it off. */
  readonly speculate?: boolean
}

/** Reveals open when every judge committed, or (with a margin for clock skew against the API) the commit window passed. */
export const REVEAL_MARGIN_MS = 2_000
export const REVEAL_REPEAT_MS = 15_000
export const revealOpen = (r: Pick<ResultState, "validators" | "commitments" | "commitDeadline">, nowMs: number) =>
  r.validators.every((v) => r.commitments.has(v)) || (r.commitDeadline !== undefined && nowMs >= Date.parse(r.commitDeadline) + REVEAL_MARGIN_MS)

const trainWork = (ctx: WorkflowContext, a: DispatchedAssignment): TrainWork => {
  const round = ctx.task.round!
  return { ...trainingWorkOf(ctx, a, round.round), baseWeightsHash: round.base.weightsHash, deadline: round.deadline }
}

const verifyWork = (ctx: WorkflowContext, r: ResultState, validator: string, phase: "commit" | "reveal"): VerifyWork => ({
  _tag: "VerifyWork",
  taskId: ctx.task.taskId,
  round: ctx.task.round!.round,
  resultId: r.resultId,
  nodeId: validator as never,
  trainerNodeId: r.nodeId,
  phase,
  workload: ctx.task.config.workload ?? "digits",
  topology: ctx.topology!,
  proof: r.proof,
  audit: r.audit!,
  shards: shardRefsOf(r.proof),
  plan: ctx.task.config.training,
  validationHash: ctx.task.config.validation.contentHash,
  metric: ctx.task.config.objective.metric,
  metricTolerance: ctx.task.config.criteria.metricTolerance
})

const answerWork = (ctx: WorkflowContext, r: ResultState): AnswerWork => ({
  _tag: "AnswerWork",
  taskId: ctx.task.taskId,
  round: ctx.task.round!.round,
  resultId: r.resultId,
  nodeId: r.nodeId,
  workload: ctx.task.config.workload ?? "digits",
  topology: ctx.topology!,
  proof: r.proof,
  audit: r.audit!,
  plan: ctx.task.config.training
})

/**
 * Whether a contested result still waits for its trainer to open the audited
 * segment (so the referee can bisect instead of replaying the segment): not
 * yet answered, the trainer alive, and less than one commit window past the
 * reveal window's opening. A silent or slow trainer does not hold the round.
 */
export const awaitingAnswer = (r: ResultState, commitSeconds: number, silent: (nodeId: string) => boolean, nowMs: number) =>
  contestOf(r) !== undefined && !r.answer && !silent(r.nodeId) && r.commitDeadline !== undefined && nowMs < Date.parse(r.commitDeadline) + commitSeconds * 1000

const juryWork = (ctx: WorkflowContext, r: ResultState, juror: string, phase: "commit" | "reveal", steps: ReadonlyArray<number>): JuryWork => ({
  _tag: "JuryWork",
  taskId: ctx.task.taskId,
  round: ctx.task.round!.round,
  resultId: r.resultId,
  nodeId: juror as never,
  phase,
  workload: ctx.task.config.workload ?? "digits",
  topology: ctx.topology!,
  proof: r.proof,
  plan: ctx.task.config.training,
  steps: steps.map((step) => ({ step, start: stateBefore(r, step)! }))
})

/**
 * The jury of every bisected dispute (domain/task/jury.ts): once every judge
 * that committed has revealed (or gone silent), so the disputed steps are
 * settled, each juror is routed the steps to replay and commit, then (every
 * juror committed, or a commit window after the answer) to reveal.
 */
export const juryActions = (ctx: WorkflowContext, results: ReadonlyArray<ResultState>, silent: (nodeId: string) => boolean): Array<Action> => {
  const t = ctx.task
  const nowMs = ctx.seen.nowMs
  const actions: Array<Action> = []
  for (const x of results) {
    const steps = contestOf(x) ? stepsToRule(x) : undefined
    if (!steps) continue
    const judgesDone = x.validators.every((v) => !x.commitments.has(v) || x.votes.some((vote) => vote.nodeId === v) || silent(v))
    if (!judgesDone) continue
    const jurors = jurorsOf(t, x)
    const revealing = jurors.every((j) => x.jury?.commitments.has(j.nodeId)) || nowMs >= Date.parse(juryRevealOpensAt(t, x)!) + REVEAL_MARGIN_MS
    for (const j of jurors) {
      if (x.jury?.reveals.has(j.nodeId)) continue
      const committed = x.jury?.commitments.has(j.nodeId) ?? false
      // No commitment once reveals began (it could copy them).
      const phase = committed ? (revealing ? "reveal" : undefined) : (x.jury?.reveals.size ?? 0) === 0 ? "commit" : undefined
      if (!phase) continue
      const msgID = phase === "commit" ? `jury-commit-${x.resultId}-${j.nodeId}` : `jury-reveal-${x.resultId}-${j.nodeId}-${Math.floor(nowMs / REVEAL_REPEAT_MS)}`
      if (ctx.published.has(msgID)) continue
      actions.push({ _tag: "Publish", subject: workSubject("jury", ctx.capability, j.nodeId, ctx.subjectPrefix), work: juryWork(ctx, x, j.nodeId, phase, steps), msgID })
    }
  }
  return actions
}

/** A margin past a window's end before asking for finality (clock skew against the API). */
export const FINALIZE_MARGIN_MS = 1_000

/** Results awaiting finality, in any task state: rule on challenges, finalize what the window let through. */
export const finalityActions = (t: TaskData, nowMs: number): ReadonlyArray<Action> =>
  [...t.challengeable.values()].flatMap((c): Array<Action> => {
    if (c.challenge) return [{ _tag: "RefereeChallenge", taskId: t.taskId, resultId: c.resultId }]
    if (nowMs < Date.parse(c.finalAt) + FINALIZE_MARGIN_MS) return []
    return [{ _tag: "Send", type: "FinalizeResult", payload: { taskId: t.taskId, resultId: c.resultId }, commandId: `finalize-${c.resultId}`, log: `${c.resultId}: final (its challenge window passed)` }]
  })

export const reconcileTask = (ctx: WorkflowContext): ReadonlyArray<Action> => {
  const t = ctx.task
  const taskId = t.taskId
  const c = t.config.criteria
  const actions: Array<Action> = [...finalityActions(t, ctx.seen.nowMs)]
  for (const p of t.participants.values()) if (!ctx.queues.has(p.nodeId)) actions.push({ _tag: "EnsureQueue", nodeId: p.nodeId })
  const participants = [...t.participants.values()]
  const trainers = participants.filter((p) => p.role === "trainer").length
  const validators = participants.filter((p) => p.role === "validator").length

  if (t.status === "open") {
    if (t.roundsStarted < c.maxRounds && trainers >= c.minTrainers && validators >= c.validatorsPerResult) {
      const round = t.roundsStarted + 1
      actions.push({ _tag: "Send", type: "StartRound", payload: { taskId, round }, commandId: `start-${taskId}-r${round}`, log: `${taskId}: starting round ${round}` })
    }
    return actions
  }
  if (t.status !== "running" || !t.round || !ctx.topology) return actions
  const round = t.round
  const r = round.round

  if (round.assignments.length === 0) {
    const assignments = planRound(t, r)
    actions.push({
      _tag: "Send",
      type: "DispatchTraining",
      payload: { taskId, round: r, assignments },
      commandId: `dispatch-${taskId}-r${r}`,
      log: `${taskId} r${r}: dispatching ${assignments.length} slots to ${[...new Set(assignments.map((a) => a.nodeId))].join(", ")}`
    })
    return actions
  }

  const results = [...round.results.values()]
  for (const a of round.assignments) {
    const msgID = `train-${taskId}-r${r}-s${a.slot}-${a.nodeId}`
    // Delivered work is never routed again (a restarted coordinator past the
    // queue's duplicate window would otherwise have it trained twice).
    if (ctx.published.has(msgID) || results.some((x) => x.nodeId === a.nodeId && sameWork(x.proof, a))) continue
    actions.push({ _tag: "Publish", subject: workSubject("train", ctx.capability, a.nodeId, ctx.subjectPrefix), work: trainWork(ctx, a), msgID })
  }

  const nowMs = ctx.seen.nowMs
  for (const x of results) {
    if (x.seed === undefined) {
      actions.push({ _tag: "Send", type: "DrawValidators", payload: { taskId, round: r, resultId: x.resultId }, commandId: `draw-${x.resultId}`, log: `${x.resultId}: drawing its validators` })
      continue
    }
    const open = revealOpen(x, nowMs)
    for (const v of x.validators) {
      if (x.votes.some((vote) => vote.nodeId === v)) continue
      const phase = x.commitments.has(v) ? (open ? "reveal" : undefined) : "commit"
      if (!phase) continue
      // A reveal is routed again every REVEAL_REPEAT_MS until it lands: one sent
      // early (our clock ahead of the API's) may have run out of retries.
      const msgID = phase === "commit" ? `verify-commit-${x.resultId}-${v}` : `verify-reveal-${x.resultId}-${v}-${Math.floor(nowMs / REVEAL_REPEAT_MS)}`
      if (ctx.published.has(msgID)) continue
      actions.push({ _tag: "Publish", subject: workSubject("verify", ctx.capability, v, ctx.subjectPrefix), work: verifyWork(ctx, x, v, phase), msgID })
    }
  }

  // Failure detection: hand a silent (or, at half the round, late) trainer's
  // slot to a live trainer; take a silent judge off a result (the decider
  // draws its replacement).
  for (const h of slotsToReassign(t, round, results, ctx.seen, c.roundDeadlineSeconds, ctx.reassignAfter)) {
    actions.push({
      _tag: "Send",
      type: "DispatchTraining",
      payload: { taskId, round: r, assignments: [h.assignment] },
      commandId: `reassign-${taskId}-r${r}-s${h.assignment.slot}-${h.attempt}`,
      log: `${taskId} r${r}: slot ${h.assignment.slot} not delivered by ${h.from} (${h.why}); reassigning to ${h.to}`
    })
  }
  // Only while the draw has someone left to take the place (never the trainer's node or key).
  const drawable = (x: ResultState) =>
    participants.some((p) => p.role === "validator" && p.stake > 0n && p.nodeId !== x.nodeId && p.address !== x.trainer && !x.validators.includes(p.nodeId) && !(x.replaced ?? []).includes(p.nodeId))
  for (const h of validatorsToReplace(results.filter(drawable), ctx.seen)) {
    actions.push({
      _tag: "Send",
      type: "ReplaceValidator",
      payload: { taskId, round: r, resultId: h.resultId, nodeId: h.nodeId },
      commandId: `replace-${h.resultId}-${h.nodeId}`,
      log: `${taskId} r${r}: validator ${h.nodeId} silent on ${h.resultId}; the draw replaces it`
    })
  }

  // The trainer of a contested result opens its audited segment step by step,
  // so the referee can bisect the dispute to one step.
  const silent = (n: string) => isSilent(n, -Infinity, ctx.seen)
  for (const x of results) {
    if (!contestOf(x) || x.answer) continue
    const msgID = `answer-${x.resultId}`
    if (ctx.published.has(msgID)) continue
    actions.push({ _tag: "Publish", subject: workSubject("answer", ctx.capability, x.nodeId, ctx.subjectPrefix), work: answerWork(ctx, x), msgID })
  }

  actions.push(...juryActions(ctx, results, silent))

  // A contested result can close once all its judges have revealed (or gone
  // silent) and its trainer has answered (or will not), and, when it was
  // bisected, once its jury has a verdict (else only at the deadline): the
  // rulings at close settle it.
  const commitSeconds = t.config.protocol.commitSeconds
  const closable = results.map((x) => {
    if (!contestOf(x)) return x
    if (awaitingAnswer(x, commitSeconds, silent, nowMs) || (stepsToRule(x) && !juryVerdict(t, x))) return { ...x, outcome: undefined }
    return { ...x, outcome: x.outcome ?? ("rejected" as const) }
  })
  if (roundCanClose(round, closable, c.roundDeadlineSeconds, nowMs, silent)) {
    actions.push({ _tag: "CloseRound", taskId, round: r })
  } else {
    // Last: routing this round's verification comes first.
    const ahead = speculation(ctx, results)
    if (ahead) actions.push(ahead)
  }
  return actions
}
