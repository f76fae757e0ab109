import type { ResultState, RoundState, TaskData } from "../../domain/task/state"
import type { Assignment } from "../../domain/task/events"
import { sameWork } from "../../domain/task/work"

/**
 * Failure detection, as pure functions of what the coordinator has seen.
 *
 * Every node publishes a heartbeat every HEARTBEAT_INTERVAL_MS on its own
 * subject (NATS permissions let a node publish only its own). A node is
 * silent when neither a heartbeat nor the assignment itself is younger than
 * LIVENESS_TIMEOUT_MS: a trainer then loses its undelivered slot and a
 * validator its unvoted result, within the timeout of its last sign of life
 * instead of at half the round's deadline. `watchingSince` (when this
 * coordinator started listening) keeps a restarted coordinator from taking
 * everything away from nodes it simply has not heard from yet.
 */
export const HEARTBEAT_INTERVAL_MS = 3_000
export const LIVENESS_TIMEOUT_MS = 15_000

export interface Sightings {
  /** Last heartbeat per node, in the coordinator's clock (ms). */
  readonly lastSeen: ReadonlyMap<string, number>
  readonly watchingSince: number
  readonly nowMs: number
}

export const isSilent = (nodeId: string, sinceMs: number, seen: Sightings, timeoutMs = LIVENESS_TIMEOUT_MS): boolean =>
  seen.nowMs - Math.max(sinceMs, seen.watchingSince, seen.lastSeen.get(nodeId) ?? -Infinity) > timeoutMs

const instant = (iso: string | undefined) => (iso === undefined ? -Infinity : Date.parse(iso))

export interface SlotHandover {
  readonly assignment: Assignment
  /** The dispatch number of this slot (1 = first reassignment): part of the command id. */
  readonly attempt: number
  /** The assignee it is taken from (the slot's latest). */
  readonly from: string
  readonly to: string
  readonly why: "silent" | "late"
}

/**
 * Slots to hand to another trainer: the slot has no live result (none, or
 * only rejected ones) and its latest assignee is silent, or (the old rule,
 * kept for a trainer that heartbeats but never delivers) half the round has
 * passed and the slot was never reassigned. The new trainer is a live one,
 * least loaded first; a slot whose every other trainer is silent waits.
 */
export const slotsToReassign = (
  task: TaskData,
  round: Pick<RoundState, "assignments" | "deadline">,
  results: ReadonlyArray<Pick<ResultState, "proof" | "outcome">>,
  seen: Sightings,
  roundSeconds: number,
  lateFraction = 0.5
): ReadonlyArray<SlotHandover> => {
  const deadline = Date.parse(round.deadline)
  const late = seen.nowMs > deadline - roundSeconds * 1000 * (1 - lateFraction)
  const load = new Map<string, number>()
  for (const a of round.assignments) load.set(a.nodeId, (load.get(a.nodeId) ?? 0) + 1)
  const trainers = [...task.participants.values()].filter((p) => p.role === "trainer").map((p) => p.nodeId)
  const handovers: Array<SlotHandover> = []
  for (const slot of new Set(round.assignments.map((a) => a.slot))) {
    const tries = round.assignments.filter((a) => a.slot === slot)
    const latest = tries[tries.length - 1]!
    if (results.some((r) => sameWork(r.proof, latest) && r.outcome !== "rejected")) continue
    const silent = isSilent(latest.nodeId, instant(latest.dispatchedAt), seen)
    const why = silent ? "silent" : late && tries.length === 1 ? "late" : undefined
    if (!why) continue
    const to = trainers
      .filter((n) => n !== latest.nodeId && !isSilent(n, -Infinity, seen))
      .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || (a < b ? -1 : 1))[0]
    if (!to) continue
    load.set(to, (load.get(to) ?? 0) + 1)
    handovers.push({ assignment: { slot, nodeId: to, shardIds: latest.shardIds, seed: latest.seed }, attempt: tries.length, from: latest.nodeId, to, why })
  }
  return handovers
}

export interface ValidatorHandover {
  readonly resultId: string
  readonly nodeId: string
}

/**
 * Validators to take off undecided results: drawn, not committed, silent
 * since they were drawn. Who replaces them is not ours to say: the decider
 * continues the result's seeded draw.
 */
export const validatorsToReplace = (
  results: ReadonlyArray<Pick<ResultState, "resultId" | "outcome" | "validators" | "votes" | "commitments" | "requestedAt">>,
  seen: Sightings
): ReadonlyArray<ValidatorHandover> =>
  results.flatMap((r) =>
    r.outcome
      ? []
      : r.validators
          .filter((v) => !r.commitments.has(v) && !r.votes.some((x) => x.nodeId === v) && isSilent(v, instant(r.requestedAt), seen))
          .map((nodeId) => ({ resultId: r.resultId, nodeId }))
  )
