import type { RecordedEvent } from "../domain/recordedEvent"

/**
 * Where a task round's wall time goes, read from the log alone (the times
 * the API recorded each step at), so any task's rounds can be broken down
 * after the fact, on any machine:
 * - `dispatch`: round started → its training dispatched;
 * - `trainAndUpload`: dispatched → the last result submitted (trainers
 *   train, upload their checkpoints and weights, then submit);
 * - `verify`: last result submitted → the last vote revealed (judges are
 *   drawn, re-execute, commit, then reveal);
 * - `aggregate`: last vote → the new model version recorded (the
 *   coordinator averages the verified results and measures the version);
 * - `commit`: new version (or last vote, when no version) → round closed;
 * - `nextRound`: round closed → the next round started.
 * Phases a round did not reach are absent; milliseconds.
 */
export interface RoundTimes {
  readonly round: number
  readonly dispatch?: number
  readonly trainAndUpload?: number
  readonly verify?: number
  readonly aggregate?: number
  readonly commit?: number
  readonly nextRound?: number
  readonly total?: number
}

type Stamp = { started?: number; dispatched?: number; lastResult?: number; lastVote?: number; version?: number; closed?: number; versionRef?: string }

const span = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? undefined : to - from)

/** Each round of `taskId`, in order, from the whole log (task and model events) in global order. */
export const roundTimeline = (events: ReadonlyArray<RecordedEvent>, taskId: string): ReadonlyArray<RoundTimes> => {
  const rounds = new Map<number, Stamp>()
  const at = (round: number) => rounds.get(round) ?? (rounds.set(round, {}), rounds.get(round)!)
  const versionsAt = new Map<string, number>()
  for (const e of events) {
    const t = Date.parse(e.recordedAt)
    const d = e.data as { _tag: string; taskId?: string; round?: number; modelId?: string; version?: number; newVersion?: { modelId: string; version: number } }
    if (d._tag === "ModelVersionCreated" && d.modelId !== undefined && d.version !== undefined) versionsAt.set(`${d.modelId}@${d.version}`, t)
    if (d.taskId !== taskId || d.round === undefined) continue
    const r = at(d.round)
    switch (d._tag) {
      case "RoundStarted":
        r.started ??= t
        break
      case "TrainingDispatched":
        r.dispatched ??= t
        break
      case "ResultSubmitted":
        r.lastResult = t
        break
      case "VerificationVoted":
        r.lastVote = t
        break
      case "RoundClosed":
        r.closed = t
        if (d.newVersion) r.versionRef = `${d.newVersion.modelId}@${d.newVersion.version}`
        break
    }
  }
  const ordered = [...rounds.entries()].sort(([a], [b]) => a - b)
  return ordered.map(([round, r]) => {
    const version = r.versionRef === undefined ? undefined : versionsAt.get(r.versionRef)
    const next = rounds.get(round + 1)?.started
    const times: RoundTimes = {
      round,
      dispatch: span(r.started, r.dispatched),
      trainAndUpload: span(r.dispatched, r.lastResult),
      verify: span(r.lastResult, r.lastVote),
      aggregate: span(r.lastVote, version),
      commit: span(version ?? r.lastVote, r.closed),
      nextRound: span(r.closed, next),
      total: span(r.started, next ?? r.closed)
    }
    return Object.fromEntries(Object.entries(times).filter(([, v]) => v !== undefined)) as unknown as RoundTimes
  })
}

/** The median of each phase over the rounds that reached it. */
export const medianPhases = (rounds: ReadonlyArray<RoundTimes>): Record<string, number> => {
  const phases = ["dispatch", "trainAndUpload", "verify", "aggregate", "commit", "nextRound", "total"] as const
  const out: Record<string, number> = {}
  for (const phase of phases) {
    const xs = rounds.map((r) => r[phase]).filter((x): x is number => x !== undefined).sort((a, b) => a - b)
    if (xs.length > 0) out[phase] = xs[Math.floor(xs.length / 2)]!
  }
  return out
}
