import { meetsObjective, shortOfTarget } from "./objective"
import { Result } from "effect"
import { basisPointsOf, pay, remaining } from "../ledger/ledger"
import type { CloseRound } from "./commands"
import { NewVersionRequired, NotTaskOwner, RoundStillOpen, TaskConfigInvalid } from "./errors"
import type { TaskEvent } from "./events"
import { addSeconds } from "../primitives"
import { live, mayCoordinate, runningRound, type Decision, type Live } from "./guards"
import { roundPayouts } from "./rewards"
import { settleRound, type Settlement } from "./settle"
import type { ResultState, RoundState } from "./state"
import { contestOf } from "./votes"
import { settledByStepRulings } from "./bisection"
import { juryRulings } from "./jury"
import type { StepRuling } from "./events"

/**
 * Closing a round, step by step: may it close now; settle every result
 * (rulings on contested ones, expiry of undecided ones); slash whoever a
 * ruling proved wrong; check the aggregated version; pay the round; decide
 * the task's fate (completed, exhausted or continued, with the refund).
 */

const mayClose = (c: CloseRound, round: RoundState, stepRulings: ReadonlyArray<StepRuling>): RoundStillOpen | undefined => {
  const open = [...round.results.values()].filter((r) => !r.outcome || contestOf(r) !== undefined)
  const pastDeadline = Date.parse(c.at) > Date.parse(round.deadline)
  // Contested results may close before the deadline only with their rulings.
  const ruled = (r: ResultState) =>
    (c.rulings ?? []).some((x) => x.resultId === r.resultId) || settledByStepRulings(r, stepRulings)
  const unresolved = open.filter((r) => !(contestOf(r) && ruled(r)))
  return unresolved.length > 0 && !pastDeadline ? new RoundStillOpen({ pending: unresolved.length, deadline: round.deadline }) : undefined
}

const settlementEvents = (c: CloseRound, settled: Settlement): Array<TaskEvent> =>
  settled.changed.map(({ result: r, reason }): TaskEvent => {
    const tally = { accept: r.votes.filter((v) => v.verdict === "accept" && !v.disputed).length, reject: r.votes.filter((v) => v.verdict === "reject" && !v.disputed).length }
    const base = { taskId: c.taskId, round: c.round, resultId: r.resultId, nodeId: r.nodeId, tally }
    return r.outcome === "verified"
      ? { _tag: "ResultVerified", ...base, consensusMetrics: r.consensusMetrics!, verifiedAt: c.at }
      : { _tag: "ResultRejected", ...base, reason, penalized: r.penalized ?? false, rejectedAt: c.at }
  })

/** Each node a ruling proved wrong loses `slashBps` of the stake it still has in the task; the referee earns its share. */
const slashes = (c: CloseRound, s: Live, settled: Settlement): Array<TaskEvent> => {
  const { slashBps, refereeRewardBps } = s.config.protocol
  const taken = new Map(s.slashed)
  return settled.provenWrong.flatMap((w): Array<TaskEvent> => {
    const p = s.participants.get(w.nodeId)
    if (!p) return []
    const left = p.stake - (taken.get(w.nodeId) ?? 0n)
    const amount = basisPointsOf(left, slashBps)
    if (amount <= 0n) return []
    taken.set(w.nodeId, (taken.get(w.nodeId) ?? 0n) + amount)
    const refereeReward = basisPointsOf(amount, refereeRewardBps)
    return [
      {
        _tag: "StakeSlashed",
        taskId: c.taskId,
        round: c.round,
        resultId: w.resultId,
        nodeId: w.nodeId,
        address: p.address,
        amount,
        referee: c.actor,
        refereeReward,
        burned: amount - refereeReward,
        reason: w.reason,
        slashedAt: c.at
      }
    ]
  })
}

const taskFate = (c: CloseRound, s: Live, latest: Live["latest"], left: bigint): Array<TaskEvent> => {
  const refund = (): Array<TaskEvent> => (left > 0n ? [{ _tag: "BudgetRefunded", taskId: c.taskId, owner: s.config.owner, amount: left, refundedAt: c.at }] : [])
  if (latest.metrics && meetsObjective(latest.metrics, s.config.objective)) {
    return [{ _tag: "TaskCompleted", taskId: c.taskId, round: c.round, finalVersion: latest.ref, metrics: latest.metrics, completedAt: c.at }, ...refund()]
  }
  if (c.round >= s.config.criteria.maxRounds || left === 0n) {
    return [
      {
        _tag: "TaskExhausted",
        taskId: c.taskId,
        round: c.round,
        reason: left === 0n ? "budget" : "rounds",
        bestVersion: latest.ref,
        ...(latest.metrics ? { metrics: latest.metrics } : {}),
        exhaustedAt: c.at
      },
      ...refund()
    ]
  }
  const reason = shortOfTarget(latest.metrics, s.config.objective)
  return [{ _tag: "TaskContinued", taskId: c.taskId, round: c.round, nextRound: c.round + 1, reason, continuedAt: c.at }]
}

export const closeRound = (c: CloseRound, state: import("./state").TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision => {
    if (!mayCoordinate(s, c)) return Result.fail(new NotTaskOwner({ taskId: c.taskId, actor: c.actor }))
    return Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      // Bisected disputes are ruled by their juries (jury.ts), the rest by the referee's segment rulings.
      const jury = juryRulings(s, round.results.values())
      const early = mayClose(c, round, jury.rulings)
      if (early) return Result.fail(early)
      const bySettlement = settleRound(round, c.rulings ?? [], c.at, s.config.criteria.penalizeRejected, jury.rulings)
      const settled = { ...bySettlement, provenWrong: [...bySettlement.provenWrong, ...jury.wrong] }
      if (settled.strayRuling) return Result.fail(new TaskConfigInvalid({ reason: `ruling for ${settled.strayRuling}, which is not a contested result of this round` }))
      const results = [...settled.results.values()]
      const verified = results.filter((r) => r.outcome === "verified").map((r) => r.resultId)
      const rejected = results.filter((r) => r.outcome === "rejected").map((r) => r.resultId)
      if (verified.length > 0 && !c.newVersion) return Result.fail(new NewVersionRequired({ reason: "verified results must be aggregated into a new model version" }))
      if (verified.length === 0 && c.newVersion) return Result.fail(new NewVersionRequired({ reason: "no verified result to aggregate" }))
      const averaged = c.newVersion?.results
      if (averaged && (averaged.length !== verified.length || !verified.every((id) => averaged.includes(id)))) {
        return Result.fail(new NewVersionRequired({ reason: `the version averages ${averaged.join(", ") || "nothing"}, the round verified ${verified.join(", ")}` }))
      }
      if (c.newVersion && c.newVersion.ref.modelId !== s.config.base.modelId) {
        return Result.fail(new TaskConfigInvalid({ reason: `new version is of ${c.newVersion.ref.modelId}, task trains ${s.config.base.modelId}` }))
      }
      const payouts = roundPayouts({
        round: { ...round, results: settled.results },
        split: s.config.rewardSplit,
        shards: s.config.trainingShards,
        base: s.latest.metrics,
        objective: s.config.objective,
        penalizeRejected: s.config.criteria.penalizeRejected
      })
      const unrevealed = results.flatMap((r) => r.validators.filter((v) => r.commitments.has(v) && !r.votes.some((x) => x.nodeId === v)).map((nodeId) => ({ resultId: r.resultId, nodeId })))
      return Result.flatMap(pay(s.escrow, payouts), (afterPayouts): Decision => {
        const latest = c.newVersion ? { ref: c.newVersion.ref, metrics: c.newVersion.metrics } : s.latest
        // With a challenge window, a trainer's reward waits in escrow until its result is final.
        const window = s.config.protocol.challengeSeconds
        const holds = (p: (typeof payouts)[number]) => window > 0 && p.role === "trainer" && p.resultId !== undefined
        const held = payouts.filter(holds).reduce((sum, p) => sum + p.amount, 0n)
        return Result.succeed([
          ...settlementEvents(c, settled),
          ...slashes(c, s, settled),
          ...payouts.map((p): TaskEvent =>
            holds(p)
              ? {
                  _tag: "RewardHeld",
                  taskId: c.taskId,
                  round: c.round,
                  resultId: p.resultId as never,
                  recipient: p.recipient,
                  nodeId: p.nodeId!,
                  amount: p.amount,
                  finalAt: addSeconds(c.at, window),
                  heldAt: c.at
                }
              : {
                  _tag: "RewardAllocated",
                  taskId: c.taskId,
                  round: c.round,
                  recipient: p.recipient,
                  ...(p.nodeId === undefined ? {} : { nodeId: p.nodeId }),
                  role: p.role,
                  amount: p.amount,
                  reason: p.reason,
                  allocatedAt: c.at
                }
          ),
          {
            _tag: "RoundClosed",
            taskId: c.taskId,
            round: c.round,
            verifiedResults: verified,
            rejectedResults: rejected,
            ...(c.newVersion ? { newVersion: c.newVersion.ref, metrics: c.newVersion.metrics } : {}),
            ...(settled.disputedVotes.length > 0 ? { disputedVotes: settled.disputedVotes } : {}),
            ...(unrevealed.length > 0 ? { unrevealed } : {}),
            paidOut: payouts.reduce((sum, p) => sum + p.amount, 0n) - held,
            ...(held > 0n ? { held } : {}),
            closedAt: c.at
          },
          ...taskFate(c, s, latest, remaining(afterPayouts))
        ])
      })
    })
  })
