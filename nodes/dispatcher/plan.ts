import type { Assignment, TrainingShard } from "../../domain/task/events"
import type { ResultState, RoundState, TaskData } from "../../domain/task/state"
import { sameWork } from "../../domain/task/work"

/**
 * Pure planning for the dispatcher: who trains what this round. Slots =
 * min(trainers, shards); shards are dealt round-robin into slots; slot i goes
 * to trainer (i + round − 1) mod n, so work rotates between rounds; seeds are
 * derived from the task seed, round and slot so anyone can re-derive them.
 */
export const planRound = (task: TaskData, round: number): ReadonlyArray<Assignment> => {
  const trainers = [...task.participants.values()].filter((p) => p.role === "trainer").map((p) => p.nodeId).sort()
  const shards: ReadonlyArray<TrainingShard> = task.config.trainingShards
  const slots = Math.min(trainers.length, shards.length)
  return Array.from({ length: slots }, (_, slot) => ({
    slot,
    nodeId: trainers[(slot + round - 1) % trainers.length]!,
    shardIds: shards.filter((_, i) => i % slots === slot).map((s) => s.shardId),
    seed: (task.config.training.seed * 7919 + round * 131 + slot) % 2_147_483_647
  }))
}

/** Late votes are awaited for this fraction of the round's time after a result is decided (at least 5 s). */
export const VERIFICATION_WINDOW = 0.05

/**
 * Whether the round can close now: past its deadline; or every slot settled
 * (a decided result for its work), no result undecided, and every assigned
 * validator voted, or the verification window after the decision has passed
 * (every assigned validator may vote, and be paid for agreeing, until the
 * round closes; one that never votes must not hold the round to its deadline).
 */
export const roundCanClose = (
  round: Pick<RoundState, "assignments" | "deadline">,
  results: ReadonlyArray<Pick<ResultState, "proof" | "outcome" | "votes" | "validators" | "decidedAt">>,
  roundDeadlineSeconds: number,
  nowMs: number,
  silent: (nodeId: string) => boolean = () => false
): boolean => {
  if (nowMs > Date.parse(round.deadline)) return true
  const settled = round.assignments.every((a) => results.some((r) => sameWork(r.proof, a) && r.outcome))
  if (!settled || results.some((r) => !r.outcome)) return false
  const windowMs = Math.max(5_000, roundDeadlineSeconds * 1000 * VERIFICATION_WINDOW)
  const allAwaitedVoted = (r: (typeof results)[number]) => r.validators.every((v) => r.votes.some((x) => x.nodeId === v) || silent(v))
  return results.every((r) => allAwaitedVoted(r) || (r.decidedAt !== undefined && nowMs >= Date.parse(r.decidedAt) + windowMs))
}
