import type { Hash32 } from "../../domain/primitives"
import type { DispatchedAssignment, ResultState, TaskData } from "../../domain/task/state"
import { contestOf } from "../../domain/task/votes"
import { sameWork } from "../../domain/task/work"
import { workSubject, type TrainWork } from "../workItems"
import { planRound } from "./plan"
import type { WorkflowContext } from "./workflow"

/** The next round's work but for what only its aggregation says: its base and deadline. */
export type SpeculativeWork = Omit<TrainWork, "baseWeightsHash" | "deadline" | "speculative">

/**
 * The coordinator's action that pipelines the next round: aggregate
 * `results` (in this order, as closing the round would if every one is
 * verified), store it, and route `work` from it as speculative training.
 * Done once per round (`key`).
 */
export interface Speculate {
  readonly _tag: "Speculate"
  readonly taskId: string
  readonly round: number
  readonly key: string
  readonly results: ReadonlyArray<string>
  readonly work: ReadonlyArray<{ readonly subject: string; readonly msgID: string; readonly work: SpeculativeWork }>
}

/** A slot's training work in `round`, but for its base and deadline (which the round, or its aggregation, gives). */
export const trainingWorkOf = (ctx: WorkflowContext, a: Pick<DispatchedAssignment, "slot" | "nodeId" | "shardIds" | "seed">, round: number): SpeculativeWork => {
  const t = ctx.task
  const shardHash = new Map(t.config.trainingShards.map((s) => [s.shardId as string, s.contentHash]))
  return {
    _tag: "TrainWork",
    taskId: t.taskId,
    round,
    slot: a.slot,
    nodeId: a.nodeId,
    modelId: t.config.base.modelId,
    workload: t.config.workload ?? "digits",
    topology: ctx.topology!,
    shards: a.shardIds.map((shardId) => ({ shardId, contentHash: shardHash.get(shardId)! })),
    seed: a.seed,
    plan: t.config.training,
    validationHash: t.config.validation.contentHash,
    checkpoints: t.config.protocol.checkpoints
  }
}

/**
 * Round pipelining. Once every slot of the round has its result, the next
 * round's work is known but for its base: the aggregate of these results if
 * the judges accept them all, which is what honest rounds do. So the next
 * round is planned now (the same pure plan its dispatch will make) and its
 * trainers train while this round is verified. Nothing is submitted early:
 * the round's dispatch routes the same work with the base the log then
 * holds, and a trainer whose guess matches submits at once; one whose guess
 * missed (a result rejected, a participant joined) trains anew. Not in the
 * last round, and not once a result is contested or rejected; nor when the
 * guessed base already reaches the task's target (`routeAhead`: that round
 * completes the task, and training ahead would only take the judges' CPU).
 */
export const speculation = (ctx: WorkflowContext, results: ReadonlyArray<ResultState>): Speculate | undefined => {
  const t = ctx.task
  const round = t.round!
  const r = round.round
  if (ctx.speculate === false || r >= t.config.criteria.maxRounds) return undefined
  const key = `speculate-${t.taskId}-r${r}`
  if (ctx.published.has(key) || results.length !== round.assignments.length) return undefined
  if (!round.assignments.every((a) => results.some((x) => x.nodeId === a.nodeId && sameWork(x.proof, a)))) return undefined
  if (results.some((x) => x.outcome === "rejected" || contestOf(x))) return undefined
  const next = planRound(t, r + 1)
  return {
    _tag: "Speculate",
    taskId: t.taskId,
    round: r,
    key,
    // The order closing the round aggregates verified results in.
    results: results.map((x) => x.resultId as string).sort((a, b) => (a < b ? -1 : 1)),
    work: next.map((a) => ({
      subject: workSubject("train", ctx.capability, a.nodeId, ctx.subjectPrefix),
      msgID: `speculate-${t.taskId}-r${r + 1}-s${a.slot}-${a.nodeId}`,
      work: trainingWorkOf(ctx, a, r + 1)
    }))
  }
}

/**
 * The coordinator's side of a `Speculate` (the I/O is passed in): aggregate
 * the round's results as closing it would; if that aggregate already meets
 * the task's objective, the round completes the task once its results are
 * verified, so nothing is trained ahead. Otherwise store it as the guessed
 * base and route the next round's work from it, marked speculative, with a
 * deadline one round away.
 */
export const routeAhead = async (
  t: TaskData,
  action: Speculate,
  io: {
    readonly aggregate: (results: ReadonlyArray<ResultState>) => Promise<Uint8Array>
    /** Whether these weights meet the task's objective on its held-out set (and how they measure, for the log). */
    readonly completes: (weights: Uint8Array) => Promise<{ readonly met: boolean; readonly measured: string }>
    readonly put: (weights: Uint8Array) => Promise<Hash32>
    readonly publish: (subject: string, work: TrainWork, msgID: string) => Promise<unknown>
    readonly now: () => Date
    readonly log: (line: string) => void
  }
) => {
  const results = action.results.map((id) => t.round!.results.get(id as never)!)
  const averaged = await io.aggregate(results)
  const outlook = await io.completes(averaged)
  if (outlook.met) {
    io.log(`${t.taskId} r${action.round}: every slot delivered; the aggregate of all ${results.length} results measures ${outlook.measured}, which reaches the target: nothing to train ahead`)
    return
  }
  const base = await io.put(averaged)
  const deadline = new Date(io.now().getTime() + t.config.criteria.roundDeadlineSeconds * 1000).toISOString()
  for (const w of action.work) await io.publish(w.subject, { ...w.work, baseWeightsHash: base, deadline, speculative: true }, w.msgID)
  io.log(`${t.taskId} r${action.round}: every slot delivered; routing round ${action.round + 1} to ${action.work.map((w) => w.work.nodeId).join(", ")} ahead, from the aggregate of all ${results.length} results (${base.slice(0, 10)}…)`)
}
