import { Result } from "effect"
import { basisPointsOf } from "../ledger/ledger"
import type { ChallengeResult, FinalizeResult, ResolveChallenge } from "./commands"
import { checkpointLeaf } from "./commitments"
import { NotChallengeable, NotFinalYet, NotNodeKey, NotParticipant, NotTaskOwner, ResultNotFound, type TaskError } from "./errors"
import type { TaskEvent } from "./events"
import type { Decision } from "./guards"
import type { Challengeable, TaskData, TaskState } from "./state"

/**
 * The optimistic challenge window (docs/protocol.md §4). Sampling judges
 * cannot make forgery impossible: all of a result's judges may be the
 * forger's, and the audited segment may be one it did not skip. So a verified
 * result is final, and its trainer's reward paid, only after a window in
 * which any staked node of the task may re-execute any segment and challenge
 * it. The referee re-executes the challenged segment; whoever it proves wrong
 * is slashed, and the other side earns the referee's share of the slash. One
 * honest watcher suffices.
 */

const pending = (state: TaskState, resultId: string): Result.Result<{ s: Exclude<TaskState, { status: "none" }>; c: Challengeable }, TaskError> => {
  if (state.status === "none") return Result.fail(new ResultNotFound({ resultId }))
  const c = state.challengeable.get(resultId as never)
  return c ? Result.succeed({ s: state, c }) : Result.fail(new NotChallengeable({ resultId, reason: "not a verified result awaiting finality in this task" }))
}

export const challengeResult = (cmd: ChallengeResult, state: TaskState): Decision =>
  Result.flatMap(pending(state, cmd.resultId), ({ s, c }): Decision => {
    const challenger = s.participants.get(cmd.nodeId)
    if (!challenger || challenger.stake - (s.slashed.get(cmd.nodeId) ?? 0n) <= 0n) return Result.fail(new NotParticipant({ nodeId: cmd.nodeId, role: "staked participant" }))
    if (cmd.actor !== challenger.address) return Result.fail(new NotNodeKey({ nodeId: cmd.nodeId, actor: cmd.actor }))
    const refuse = (reason: string) => Result.fail(new NotChallengeable({ resultId: cmd.resultId, reason }))
    if (challenger.nodeId === c.nodeId || challenger.address === c.trainer) return refuse("a trainer cannot challenge its own result")
    if (Date.parse(cmd.at) > Date.parse(c.finalAt)) return refuse(`its challenge window closed at ${c.finalAt}`)
    if (c.challenge) return refuse(`already challenged by ${c.challenge.challenger}`)
    const end = c.proof.checkpoints.states[cmd.segment + 1]
    if (!end) return refuse(`the run has ${c.proof.checkpoints.states.length - 1} segments`)
    if (checkpointLeaf(end) === cmd.endHash) return refuse(`segment ${cmd.segment} ends where the trainer committed: nothing to dispute`)
    return Result.succeed([
      { _tag: "ResultChallenged", taskId: cmd.taskId, round: c.round, resultId: cmd.resultId, challenger: cmd.nodeId, address: challenger.address, segment: cmd.segment, endHash: cmd.endHash, challengedAt: cmd.at }
    ])
  })

/** Slash `nodeId`'s remaining task stake by the protocol's share; `beneficiary` earns the referee share. */
const slash = (s: TaskData, nodeId: string, address: string, beneficiary: string, resultId: string, round: number, reason: string, at: string): Array<TaskEvent> => {
  const p = s.participants.get(nodeId as never)
  const left = (p?.stake ?? 0n) - (s.slashed.get(nodeId as never) ?? 0n)
  const amount = basisPointsOf(left, s.config.protocol.slashBps)
  if (amount <= 0n) return []
  const refereeReward = basisPointsOf(amount, s.config.protocol.refereeRewardBps)
  return [
    {
      _tag: "StakeSlashed",
      taskId: s.taskId,
      round,
      resultId: resultId as never,
      nodeId: nodeId as never,
      address: address as never,
      amount,
      referee: beneficiary as never,
      refereeReward,
      burned: amount - refereeReward,
      reason,
      slashedAt: at
    }
  ]
}

export const resolveChallenge = (cmd: ResolveChallenge, state: TaskState): Decision =>
  Result.flatMap(pending(state, cmd.resultId), ({ s, c }): Decision => {
    if (!(cmd.actorIsCoordinator || cmd.actor === s.config.owner)) return Result.fail(new NotTaskOwner({ taskId: cmd.taskId, actor: cmd.actor }))
    const ch = c.challenge
    if (!ch) return Result.fail(new NotChallengeable({ resultId: cmd.resultId, reason: "no open challenge" }))
    const upheld = cmd.endHash !== checkpointLeaf(c.proof.checkpoints.states[ch.segment + 1]!)
    const resolved: TaskEvent = { _tag: "ChallengeResolved", taskId: cmd.taskId, round: c.round, resultId: cmd.resultId, challenger: ch.challenger, upheld, refereeEndHash: cmd.endHash, resolvedAt: cmd.at }
    if (!upheld) {
      return Result.succeed([resolved, ...slash(s, ch.challenger, ch.address, cmd.actor, cmd.resultId, c.round, `challenge of ${cmd.resultId} segment ${ch.segment} refuted by the referee`, cmd.at)])
    }
    // The trainer's run does not reproduce: overturned. Its held reward goes back to the escrow
    // (to the owner when the task has ended); its stake pays the challenger.
    const finished = s.status === "completed" || s.status === "exhausted"
    const forfeited = c.held.reduce((sum, x) => sum + x.amount, 0n)
    return Result.succeed([
      resolved,
      {
        _tag: "ResultRejected",
        taskId: cmd.taskId,
        round: c.round,
        resultId: cmd.resultId,
        nodeId: c.nodeId,
        reason: `challenge upheld: segment ${ch.segment} does not reproduce the committed state`,
        tally: { accept: 0, reject: 0 },
        penalized: true,
        rejectedAt: cmd.at
      },
      ...slash(s, c.nodeId, c.trainer, ch.address, cmd.resultId, c.round, `forged training (challenge on segment ${ch.segment} upheld)`, cmd.at),
      ...c.held.map((x): TaskEvent => ({ _tag: "RewardForfeited", taskId: cmd.taskId, resultId: cmd.resultId, recipient: x.recipient, amount: x.amount, forfeitedAt: cmd.at })),
      ...(finished && forfeited > 0n ? [{ _tag: "BudgetRefunded" as const, taskId: cmd.taskId, owner: s.config.owner, amount: forfeited, refundedAt: cmd.at }] : [])
    ])
  })

export const finalizeResult = (cmd: FinalizeResult, state: TaskState): Decision =>
  Result.flatMap(pending(state, cmd.resultId), ({ c }): Decision => {
    if (Date.parse(cmd.at) <= Date.parse(c.finalAt)) return Result.fail(new NotFinalYet({ resultId: cmd.resultId, reason: `its challenge window runs until ${c.finalAt}` }))
    if (c.challenge) return Result.fail(new NotFinalYet({ resultId: cmd.resultId, reason: `challenged by ${c.challenge.challenger}; the referee has not ruled` }))
    return Result.succeed([
      { _tag: "ResultFinalized", taskId: cmd.taskId, round: c.round, resultId: cmd.resultId, finalizedAt: cmd.at },
      ...c.held.map(
        (x): TaskEvent => ({
          _tag: "RewardAllocated",
          taskId: cmd.taskId,
          round: c.round,
          recipient: x.recipient,
          nodeId: x.nodeId,
          role: "trainer",
          amount: x.amount,
          reason: `verified training in round ${c.round}, final after its challenge window`,
          allocatedAt: cmd.at
        })
      )
    ])
  })
