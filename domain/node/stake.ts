import { NotDeposited } from "../escrow/errors"
import { Result, Schema } from "effect"
import { Address, addSeconds, Instant, NeuraAmount, NodeId, TaskId } from "../primitives"
import type { StakeEvent } from "./stakeEvents"
import type { NodeState } from "./state"
import { InvalidAmount, NodeNotRegistered, NothingToWithdraw, NotNodeSigner, StakeStillNeeded, StakeTooLow, type StakeError } from "./errors"

/**
 * Stake decisions on a node's stream. Pure: the API loads the facts (the
 * node's task's state) and the time.
 */
export interface Stake {
  readonly free: bigint
  readonly unbonding: ReadonlyArray<{ readonly amount: bigint; readonly availableAt: string }>
  /** Stake committed per task, until released. */
  readonly committed: ReadonlyMap<string, bigint>
}
export const noStake: Stake = { free: 0n, unbonding: [], committed: new Map() }

export const evolveStake = (stake: Stake, event: StakeEvent): Stake => {
  switch (event._tag) {
    case "StakeBonded":
      return { ...stake, free: stake.free + event.amount }
    case "UnbondingStarted":
      return { ...stake, free: stake.free - event.amount, unbonding: [...stake.unbonding, { amount: event.amount, availableAt: event.availableAt }] }
    case "StakeWithdrawn": {
      // Withdrawals take matured unbondings oldest first (the decider only withdraws matured ones, whole).
      let left = event.amount
      const unbonding = stake.unbonding.filter((u) => {
        if (left >= u.amount) {
          left -= u.amount
          return false
        }
        return true
      })
      return { ...stake, unbonding }
    }
    case "StakeCommitted": {
      const committed = new Map(stake.committed)
      committed.set(event.taskId, (committed.get(event.taskId) ?? 0n) + event.amount)
      return { ...stake, free: stake.free - event.amount, committed }
    }
    case "StakeReleased": {
      const committed = new Map(stake.committed)
      committed.delete(event.taskId)
      return { ...stake, free: stake.free + event.amount, committed }
    }
  }
}


const actorAndTime = { actor: Address, at: Instant }
export const BondStakePayload = Schema.Struct({ nodeId: NodeId, amount: NeuraAmount })
export class BondStake extends Schema.TaggedClass<BondStake>()("BondStake", {
  ...BondStakePayload.fields,
  ...actorAndTime,
  /**
   * With on-chain settlement: the Neura deposited into the escrow's
   * `stake:<nodeId>` account (as the bridge recorded them) and what the node
   * has bonded from them so far. Absent when the API settles nothing on chain.
   */
  deposit: Schema.optional(Schema.Struct({ deposited: NeuraAmount, bonded: NeuraAmount }))
}) {}
export const UnbondStakePayload = Schema.Struct({ nodeId: NodeId, amount: NeuraAmount })
export class UnbondStake extends Schema.TaggedClass<UnbondStake>()("UnbondStake", {
  ...UnbondStakePayload.fields,
  ...actorAndTime,
  unbondingSeconds: Schema.Number
}) {}
export const WithdrawStakePayload = Schema.Struct({ nodeId: NodeId })
export class WithdrawStake extends Schema.TaggedClass<WithdrawStake>()("WithdrawStake", { ...WithdrawStakePayload.fields, ...actorAndTime }) {}
/** The first step of JoinTask: lock the task's minimum stake for the role. */
export class CommitStake extends Schema.TaggedClass<CommitStake>()("CommitStake", {
  nodeId: NodeId,
  taskId: TaskId,
  amount: NeuraAmount,
  ...actorAndTime
}) {}
/** What the task says about the stake a node committed to it (loaded by the API, computed by `stakeClaim`). */
export const TaskStakeFacts = Schema.Struct({
  /** Why the task still needs the stake, or undefined when it does not. */
  heldBecause: Schema.optional(Schema.String),
  /** What its rulings took from this node. */
  slashed: NeuraAmount
})
export const ReleaseStakePayload = Schema.Struct({ nodeId: NodeId, taskId: TaskId })
export class ReleaseStake extends Schema.TaggedClass<ReleaseStake>()("ReleaseStake", {
  ...ReleaseStakePayload.fields,
  ...actorAndTime,
  task: TaskStakeFacts
}) {}
export type StakeCommand = BondStake | UnbondStake | WithdrawStake | CommitStake | ReleaseStake

type Decision = Result.Result<ReadonlyArray<StakeEvent>, StakeError>

export const decideStake = (c: StakeCommand, state: NodeState): Decision => {
  if (state.status !== "registered") return Result.fail(new NodeNotRegistered({ nodeId: c.nodeId }))
  // Only the node's own key moves its stake.
  if (c.actor !== state.address) return Result.fail(new NotNodeSigner({ nodeId: c.nodeId, actor: c.actor }))
  const { stake, address, nodeId } = state
  switch (c._tag) {
    case "BondStake":
      if (c.amount <= 0n) return Result.fail(new InvalidAmount({ reason: "amount must be positive" }))
      if (c.deposit && c.deposit.bonded + c.amount > c.deposit.deposited) {
        return Result.fail(new NotDeposited({ account: `stake:${nodeId}`, needed: String(c.deposit.bonded + c.amount), deposited: String(c.deposit.deposited) }))
      }
      return Result.succeed([{ _tag: "StakeBonded", nodeId, address, amount: c.amount, bondedAt: c.at }])
    case "UnbondStake":
      if (c.amount <= 0n) return Result.fail(new InvalidAmount({ reason: "amount must be positive" }))
      if (c.amount > stake.free) return Result.fail(new StakeTooLow({ nodeId, needed: String(c.amount), free: String(stake.free) }))
      return Result.succeed([{ _tag: "UnbondingStarted", nodeId, address, amount: c.amount, availableAt: addSeconds(c.at, c.unbondingSeconds), startedAt: c.at }])
    case "WithdrawStake": {
      const now = Date.parse(c.at)
      let amount = 0n
      for (const u of stake.unbonding) {
        if (Date.parse(u.availableAt) > now) break
        amount += u.amount
      }
      if (amount === 0n) {
        const next = stake.unbonding[0]?.availableAt
        return Result.fail(new NothingToWithdraw({ nodeId, ...(next ? { nextAvailableAt: next } : {}) }))
      }
      return Result.succeed([{ _tag: "StakeWithdrawn", nodeId, address, amount, withdrawnAt: c.at }])
    }
    case "CommitStake":
      // Joining a task again (a retried JoinTask) commits nothing more.
      if (stake.committed.has(c.taskId)) return Result.succeed([])
      if (c.amount > stake.free) return Result.fail(new StakeTooLow({ nodeId, needed: String(c.amount), free: String(stake.free) }))
      return Result.succeed([{ _tag: "StakeCommitted", nodeId, address, taskId: c.taskId, amount: c.amount, committedAt: c.at }])
    case "ReleaseStake": {
      const committed = stake.committed.get(c.taskId)
      if (committed === undefined) return Result.fail(new StakeStillNeeded({ nodeId, taskId: c.taskId, reason: "no stake is committed to this task" }))
      if (c.task.heldBecause) return Result.fail(new StakeStillNeeded({ nodeId, taskId: c.taskId, reason: c.task.heldBecause }))
      const slashed = c.task.slashed < committed ? c.task.slashed : committed
      return Result.succeed([{ _tag: "StakeReleased", nodeId, address, taskId: c.taskId, amount: committed - slashed, slashed, releasedAt: c.at }])
    }
  }
}
