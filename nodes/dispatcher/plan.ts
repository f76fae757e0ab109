import type { Assignment, TrainingShard } from "../../domain/task/events"
import type { TaskData } from "../../domain/task/state"

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

/** The trainer to take over a slot its assignee did not deliver: another trainer, least loaded first. */
export const reassignee = (task: TaskData, slot: Assignment, load: ReadonlyMap<string, number>) =>
  [...task.participants.values()]
    .filter((p) => p.role === "trainer" && p.nodeId !== slot.nodeId)
    .map((p) => p.nodeId)
    .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || (a < b ? -1 : 1))[0]
