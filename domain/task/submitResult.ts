import { Result } from "effect"
import type { DrawValidators, SubmitResult } from "./commands"
import { checkpointLeaf, merkleRoot } from "./commitments"
import { auditOf, checkpointInterval, drawValidators } from "./draw"
import {
  NotEnoughParticipants,
  NotNodeKey,
  NotParticipant,
  ProofMismatch,
  ResultAlreadySubmitted,
  ResultIdNotDerived,
  ResultNotFound,
  RoundDeadlinePassed,
  UnknownShard,
  ValidatorsAlreadyDrawn
} from "./errors"
import type { TrainingProof } from "./events"
import { addSeconds } from "../primitives"
import { live, resultIdFor, runningRound, shardIndex, type Decision, type Live } from "./guards"
import type { RoundState } from "./state"
import { sameWork } from "./work"

/** Which unit of work a submission delivers, or why it delivers none. */
const deliveredSlot = (c: SubmitResult, round: RoundState): Result.Result<number | undefined, ProofMismatch | NotParticipant | ResultAlreadySubmitted> => {
  if (round.assignments.length === 0) {
    // Undispatched rounds: one result per trainer.
    const earlier = [...round.results.values()].find((r) => r.nodeId === c.nodeId)
    return earlier ? Result.fail(new ResultAlreadySubmitted({ resultId: earlier.resultId })) : Result.succeed(undefined)
  }
  // Dispatched rounds: a result must be one of the dispatched units of work,
  // and a unit is paid once (a reassigned slot may be delivered by its new
  // trainer unless a live result for it already exists).
  const slot = round.assignments.find((a) => sameWork(a, c.proof))
  if (!slot) return Result.fail(new ProofMismatch({ reason: "shards and seed match no dispatched assignment of this round" }))
  if (!round.assignments.some((a) => a.slot === slot.slot && a.nodeId === c.nodeId)) {
    return Result.fail(new NotParticipant({ nodeId: c.nodeId, role: `assignee of slot ${slot.slot}` }))
  }
  const delivered = [...round.results.values()].find((r) => sameWork(r.proof, c.proof) && r.outcome !== "rejected")
  return delivered ? Result.fail(new ResultAlreadySubmitted({ resultId: delivered.resultId })) : Result.succeed(slot.slot)
}

/**
 * What the proof must say given the task: the registered shards (by hash),
 * exactly their samples, the steps the plan implies, and a checkpoint
 * commitment that starts at the round's base, ends at the submitted weights
 * and has the interval the protocol implies.
 */
const proofProblem = (s: Live, round: RoundState, proof: TrainingProof): string | UnknownShard | undefined => {
  if (proof.baseWeightsHash !== round.base.weightsHash) return `trained from ${proof.baseWeightsHash}, round ${round.round} starts from ${round.base.weightsHash}`
  if (proof.shardHashes.length !== proof.shardIds.length) return "one shard hash per shard id"
  const shards = shardIndex(s)
  let samples = 0
  for (const [i, id] of proof.shardIds.entries()) {
    const shard = shards.get(id)
    if (!shard) return new UnknownShard({ shardId: id })
    if (shard.contentHash !== proof.shardHashes[i]) return `shard ${id} hash differs from the registered one`
    samples += shard.sampleCount
  }
  if (proof.sampleCount !== samples) return `the shards hold ${samples} samples, the proof claims ${proof.sampleCount}`
  const plan = s.config.training
  if (proof.epochs !== plan.epochsPerRound) return `the plan trains ${plan.epochsPerRound} epochs per round, the proof claims ${proof.epochs}`
  const steps = plan.epochsPerRound * Math.ceil(samples / plan.batchSize)
  if (proof.steps !== steps) return `${samples} samples in batches of ${plan.batchSize} for ${plan.epochsPerRound} epochs are ${steps} steps, the proof claims ${proof.steps}`
  if (steps < 2) return "a run of fewer than 2 steps cannot be audited"
  const { interval, states, root } = proof.checkpoints
  const expectedInterval = checkpointInterval(steps, s.config.protocol.checkpoints)
  if (interval !== expectedInterval) return `checkpoint interval must be ${expectedInterval} steps for ${steps} steps`
  if (states.length !== Math.ceil(steps / interval) + 1) return `expected ${Math.ceil(steps / interval) + 1} checkpoint states, got ${states.length}`
  if (states[0]!.weights !== round.base.weightsHash) return "the first checkpoint must be the round's base weights"
  if (states[states.length - 1]!.weights !== proof.weightsHash) return "the last checkpoint must be the submitted weights"
  if (merkleRoot(states.map(checkpointLeaf)) !== root) return "checkpoint root does not match the committed states"
  return undefined
}

export const submitResult = (c: SubmitResult, state: import("./state").TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const trainer = s.participants.get(c.nodeId)
      if (trainer?.role !== "trainer") return Result.fail(new NotParticipant({ nodeId: c.nodeId, role: "trainer" }))
      if (c.actor !== trainer.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
      if (Date.parse(c.at) > Date.parse(round.deadline)) return Result.fail(new RoundDeadlinePassed({ deadline: round.deadline }))
      if (round.results.has(c.resultId)) return Result.fail(new ResultAlreadySubmitted({ resultId: c.resultId }))
      return Result.flatMap(deliveredSlot(c, round), (slot): Decision => {
        const expected = resultIdFor(c.taskId, c.round, slot, c.nodeId)
        if (c.resultId !== expected) return Result.fail(new ResultIdNotDerived({ resultId: c.resultId, expected }))
        const problem = proofProblem(s, round, c.proof)
        if (problem instanceof UnknownShard) return Result.fail(problem)
        if (problem) return Result.fail(new ProofMismatch({ reason: problem }))
        return Result.succeed([
          { _tag: "ResultSubmitted", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: c.nodeId, trainer: trainer.address, proof: c.proof, submittedAt: c.at }
        ])
      })
    })
  )

/**
 * Draw a result's judges and its audited segment from the hash of the
 * commit that recorded it. Anyone may ask (the outcome is the same whoever
 * does); nobody can choose it: the trainer fixed its submission before the
 * hash existed and may submit only once per unit of work.
 */
export const drawResultValidators = (c: DrawValidators, state: import("./state").TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const result = round.results.get(c.resultId)
      if (!result) return Result.fail(new ResultNotFound({ resultId: c.resultId }))
      if (result.seed !== undefined) return Result.fail(new ValidatorsAlreadyDrawn({ resultId: c.resultId }))
      const needed = s.config.criteria.validatorsPerResult
      const candidates = [...s.participants.values()].filter((p) => p.role === "validator")
      const validators = drawValidators(c.resultCommitHash, { nodeId: result.nodeId, address: result.trainer }, candidates, needed)
      if (validators.length < needed) return Result.fail(new NotEnoughParticipants({ role: "validator", needed, have: validators.length }))
      const audit = auditOf(c.resultCommitHash, result.proof.checkpoints.interval, result.proof.steps)!
      return Result.succeed([
        {
          _tag: "VerificationRequested",
          taskId: c.taskId,
          round: c.round,
          resultId: c.resultId,
          validators,
          seed: c.resultCommitHash,
          audit,
          commitDeadline: addSeconds(c.at, s.config.protocol.commitSeconds),
          requestedAt: c.at
        }
      ])
    })
  )
