/**
 * What `neura task watch` shows, as a pure fold over a task's events (in log
 * order): per round how many dispatched results are decided, the new
 * version's metrics, results verified and rejected, payouts, and the outcome.
 * `lines` says what one event adds to the screen.
 */
export interface RoundView {
  readonly round: number
  readonly dispatched: number
  readonly verified: number
  readonly rejected: number
  readonly metrics?: Readonly<Record<string, number>>
  readonly version?: string
}

export interface TaskView {
  readonly taskId: string
  readonly objective?: { readonly metric: string; readonly target: number; readonly direction?: string }
  readonly rounds: ReadonlyArray<RoundView>
  readonly paid: Readonly<Record<string, string>>
  /** Rewards still held for results inside their challenge window. */
  readonly held: number
  readonly outcome?: "completed" | "exhausted"
  readonly final?: { readonly version: string; readonly metrics?: Readonly<Record<string, number>>; readonly reason?: string }
}

export const emptyView = (taskId: string): TaskView => ({ taskId, rounds: [], paid: {}, held: 0 })

interface Event {
  readonly type: string
  readonly data: any
}

const withRound = (v: TaskView, round: number, f: (r: RoundView) => RoundView): TaskView => {
  const exists = v.rounds.some((r) => r.round === round)
  const rounds = exists ? v.rounds.map((r) => (r.round === round ? f(r) : r)) : [...v.rounds, f({ round, dispatched: 0, verified: 0, rejected: 0 })]
  return { ...v, rounds }
}

export const evolveView = (v: TaskView, e: Event): TaskView => {
  const d = e.data
  switch (e.type) {
    case "TaskCreated":
      return { ...v, objective: { metric: d.objective.metric, target: d.objective.target, direction: d.objective.direction } }
    case "RoundStarted":
      return withRound(v, d.round, (r) => r)
    case "TrainingDispatched":
      return withRound(v, d.round, (r) => ({ ...r, dispatched: r.dispatched + d.assignments.length }))
    case "ResultVerified":
      return withRound(v, d.round, (r) => ({ ...r, verified: r.verified + 1 }))
    case "ResultRejected":
      return withRound(v, d.round, (r) => ({ ...r, rejected: r.rejected + 1 }))
    case "RoundClosed":
      return withRound(v, d.round, (r) => ({ ...r, ...(d.metrics ? { metrics: d.metrics } : {}), ...(d.newVersion ? { version: `${d.newVersion.modelId}-v${d.newVersion.version}` } : {}) }))
    case "RewardAllocated": {
      const who = d.nodeId ?? d.recipient
      return { ...v, paid: { ...v.paid, [who]: (BigInt(v.paid[who] ?? "0") + BigInt(d.amount)).toString() } }
    }
    case "RewardHeld":
      return { ...v, held: v.held + 1 }
    case "ResultFinalized":
    case "RewardForfeited":
      return { ...v, held: Math.max(0, v.held - 1) }
    case "TaskCompleted":
      return { ...v, outcome: "completed", final: { version: `${d.finalVersion.modelId}-v${d.finalVersion.version}`, metrics: d.metrics } }
    case "TaskExhausted":
      return { ...v, outcome: "exhausted", final: { version: `${d.bestVersion.modelId}-v${d.bestVersion.version}`, ...(d.metrics ? { metrics: d.metrics } : {}), reason: d.reason } }
    default:
      return v
  }
}

/** Watching is over once the task ended and no reward is still held (trainers are paid when results become final). */
export const watchDone = (v: TaskView) => v.outcome !== undefined && v.held === 0

export const bar = (done: number, total: number, width = 20) => {
  const filled = total === 0 ? 0 : Math.round((Math.min(done, total) / total) * width)
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`
}

const describe = (m: Readonly<Record<string, number>> | undefined) =>
  m ? Object.entries(m).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(", ") : "no metrics"

/** The lines one event adds (none for most). */
export const lines = (before: TaskView, after: TaskView, e: Event): ReadonlyArray<string> => {
  const d = e.data
  const round = after.rounds.find((r) => r.round === d.round)
  switch (e.type) {
    case "TaskCreated":
      return [`task ${after.taskId}: ${d.objective.metric} ${d.objective.direction === "minimize" ? "≤" : "≥"} ${d.objective.target}, at most ${d.criteria.maxRounds} rounds, budget ${d.budget} Neura`]
    case "RoundStarted":
      return [`round ${d.round} started on ${d.base.modelId}-v${d.base.version}`]
    case "ResultVerified":
    case "ResultRejected":
      return [`round ${d.round} ${bar(round!.verified + round!.rejected, Math.max(round!.dispatched, round!.verified + round!.rejected))} results decided — ${d.resultId} ${e.type === "ResultVerified" ? "verified" : `rejected (${d.reason})`}`]
    case "RoundClosed":
      return [`round ${d.round} closed: ${round?.version ? `${round.version}, ${describe(round.metrics)}` : "no verified result"}${after.objective ? ` (target ${after.objective.metric} ${after.objective.target})` : ""}`]
    case "RewardAllocated":
      return [`paid ${d.amount} Neura to ${d.nodeId ?? d.recipient} (${d.role}: ${d.reason})`]
    case "TaskCompleted":
      return [`TASK COMPLETED in round ${d.round}: ${after.final!.version}, ${describe(after.final!.metrics)}${after.held > 0 ? `; waiting for ${after.held} held reward(s) to become final` : ""}`]
    case "TaskExhausted":
      return [`TASK EXHAUSTED (${d.reason}) after round ${d.round}: best ${after.final!.version}, ${describe(after.final!.metrics)}`]
    default:
      void before
      return []
  }
}
