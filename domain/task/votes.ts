import { Result } from "effect"
import type { CastVerificationVote, CommitVote } from "./commands"
import { checkpointLeaf, voteCommitment } from "./commitments"
import { segmentBounds } from "./draw"
import { tallyVotes } from "./consensus"
import {
  AlreadyVoted,
  CommitWindowClosed,
  CommitmentMismatch,
  NotAssignedValidator,
  NotNodeKey,
  ResultNotFound,
  RevealNotOpen,
  VoteAlreadyCommitted,
  VoteInconsistent,
  VoteNotCommitted,
  type TaskError
} from "./errors"
import type { TaskEvent } from "./events"
import { live, runningRound, type Decision, type Live } from "./guards"
import type { Participant, ResultState, TaskState, Vote } from "./state"

/** The trainer's committed leaf at the end of the audited segment. */
export const committedEndLeaf = (r: ResultState) => {
  const end = r.proof.checkpoints.states[(r.audit?.segment ?? 0) + 1]
  return end ? checkpointLeaf(end) : undefined
}

/**
 * Why a result's revealed votes cannot decide it on their own, or undefined.
 * A judge whose end-of-segment leaf differs from the trainer's says the
 * trainer forged; judges whose probe leaves differ say one of them did not
 * re-execute. Either way only a referee's re-execution (a ruling at close)
 * tells who is wrong.
 */
export const contestOf = (r: ResultState, votes: ReadonlyArray<Vote> = r.votes): string | undefined => {
  const leaf = committedEndLeaf(r)
  const mismatch = votes.filter((v) => v.evidence.endHash !== leaf)
  if (mismatch.length > 0) return `${mismatch.map((v) => v.nodeId).join(", ")} re-executed segment ${r.audit?.segment} to another state than the trainer committed`
  if (new Set(votes.map((v) => v.evidence.probeHash)).size > 1) return `judges disagree on the state at step ${r.audit?.probeStep}`
  return undefined
}

/** Why a revealed step list cannot be this segment's (bisection.ts): one leaf per step, holding the committed probe and end leaves. */
const stepListProblem = (e: CastVerificationVote["evidence"], r: ResultState): string | undefined => {
  if (!e.steps || !r.audit) return undefined
  const { from, to } = segmentBounds(r.audit.segment, r.proof.checkpoints.interval, r.proof.steps)
  if (e.steps.length !== to - from) return `segment ${r.audit.segment} has ${to - from} steps, the list ${e.steps.length} leaves`
  if (e.steps[r.audit.probeStep - from - 1] !== e.probeHash) return "the list does not hold the probe leaf at the probe step"
  if (e.steps[e.steps.length - 1] !== e.endHash) return "the list does not end with the end leaf"
  return undefined
}

interface Judging {
  readonly s: Live
  readonly result: ResultState
  readonly validator: Participant
}

/** The result exists in the running round, the node judges it, and the command is signed by the node's key. */
const judgeOf = (c: CommitVote | CastVerificationVote, state: TaskState): Result.Result<Judging, TaskError> =>
  Result.flatMap(live(c.taskId, state), (s): Result.Result<Judging, TaskError> =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Result.Result<Judging, TaskError> => {
      const result = round.results.get(c.resultId)
      if (!result) return Result.fail(new ResultNotFound({ resultId: c.resultId }))
      if (!result.validators.includes(c.nodeId)) return Result.fail(new NotAssignedValidator({ resultId: c.resultId, nodeId: c.nodeId }))
      const validator = s.participants.get(c.nodeId)!
      if (c.actor !== validator.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
      return Result.succeed({ s, result, validator })
    })
  )

/** A judge hides its vote first, so nobody can copy a verdict they saw (Bittensor's lesson). */
export const commitVote = (c: CommitVote, state: TaskState): Decision =>
  Result.flatMap(judgeOf(c, state), ({ result }): Decision => {
    if (result.commitments.has(c.nodeId)) return Result.fail(new VoteAlreadyCommitted({ resultId: c.resultId, nodeId: c.nodeId }))
    // Once votes are being revealed a commitment could copy them: too late.
    if (result.votes.length > 0) return Result.fail(new CommitWindowClosed({ resultId: c.resultId, nodeId: c.nodeId }))
    return Result.succeed([{ _tag: "VoteCommitted", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: c.nodeId, commitment: c.commitment, committedAt: c.at }])
  })

/**
 * The reveal: opens once every current judge has committed or the commit
 * window has passed. The vote must hash to its commitment, and an "accept"
 * must carry the trainer's committed end leaf (it says "I re-executed and got
 * what you committed"). A result is decided by a quorum of agreeing reveals
 * unless it is contested; a contested one waits for the referee's ruling.
 */
export const revealVote = (c: CastVerificationVote, state: TaskState): Decision =>
  Result.flatMap(judgeOf(c, state), ({ s, result, validator }): Decision => {
    const commitment = result.commitments.get(c.nodeId)
    if (!commitment) return Result.fail(new VoteNotCommitted({ resultId: c.resultId, nodeId: c.nodeId }))
    if (result.votes.some((v) => v.nodeId === c.nodeId)) return Result.fail(new AlreadyVoted({ resultId: c.resultId, nodeId: c.nodeId }))
    const waitingFor = result.validators.filter((v) => !result.commitments.has(v)).length
    if (waitingFor > 0 && Date.parse(c.at) < Date.parse(result.commitDeadline!)) {
      return Result.fail(new RevealNotOpen({ resultId: c.resultId, opensAt: result.commitDeadline!, waitingFor }))
    }
    if (voteCommitment(c) !== commitment) return Result.fail(new CommitmentMismatch({ resultId: c.resultId, nodeId: c.nodeId }))
    if (c.verdict === "accept" && c.evidence.endHash !== committedEndLeaf(result)) {
      return Result.fail(new VoteInconsistent({ resultId: c.resultId, reason: "an accepting vote must reproduce the trainer's committed end-of-segment state" }))
    }
    const listed = stepListProblem(c.evidence, result)
    if (listed) return Result.fail(new VoteInconsistent({ resultId: c.resultId, reason: listed }))
    const voted: TaskEvent = {
      _tag: "VerificationVoted",
      taskId: c.taskId,
      round: c.round,
      resultId: c.resultId,
      nodeId: c.nodeId,
      validator: validator.address,
      verdict: c.verdict,
      measured: c.measured,
      evidence: c.evidence,
      salt: c.salt,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      votedAt: c.at
    }
    // Every judge may reveal until the round closes; a reveal after the
    // decision is recorded (paid if it agrees, ruled on if it contests).
    if (result.outcome) return Result.succeed([voted])
    const votes: Array<Vote> = [...result.votes, { nodeId: c.nodeId, validator: validator.address, verdict: c.verdict, measured: c.measured, evidence: c.evidence }]
    if (contestOf(result, votes)) return Result.succeed([voted])
    const consensus = tallyVotes(votes, s.config.criteria.quorum)
    const base = { taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: result.nodeId }
    switch (consensus.outcome) {
      case "pending":
        return Result.succeed([voted])
      case "verified":
        return Result.succeed([voted, { _tag: "ResultVerified", ...base, consensusMetrics: consensus.metrics, tally: consensus.tally, verifiedAt: c.at }])
      case "rejected":
        return Result.succeed([
          voted,
          { _tag: "ResultRejected", ...base, reason: consensus.reason, tally: consensus.tally, penalized: s.config.criteria.penalizeRejected, rejectedAt: c.at }
        ])
    }
  })
