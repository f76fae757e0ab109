import { Effect } from "effect"
import { nodeStakeDecider, nodeStream } from "../../domain/node"
import {
  BondStake,
  BondStakePayload,
  ReleaseStake,
  ReleaseStakePayload,
  UnbondStake,
  UnbondStakePayload,
  WithdrawStake,
  WithdrawStakePayload
} from "../../domain/node/stake"
import { stakeClaim } from "../../domain/task/stakeClaim"
import { commandSpec } from "../commandSpec"
import { history, loadTaskState } from "../facts"
import { loadDeposited } from "../escrowFacts"
import { handleCommand } from "../handleCommand"

/** A node's stake: bond, unbond (after the protocol's delay), withdraw, and release it from a finished task. Signed by the node's key. */
export const stakeCommands = [
  commandSpec({
    type: "BondStake",
    aggregate: "node",
    summary: "Bond Neura to the node (base units): stake it can commit to tasks.",
    payload: BondStakePayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        // With on-chain settlement, stake is bonded only from Neura deposited into the escrow's stake:<nodeId> account.
        const deposit = ctx.settlement
          ? {
              deposited: yield* loadDeposited({ _tag: "Stake", nodeId: p.nodeId }),
              bonded: (yield* history(nodeStream(p.nodeId))).reduce((s, e) => (e.data._tag === "StakeBonded" ? s + e.data.amount : s), 0n)
            }
          : undefined
        return yield* handleCommand(nodeStakeDecider, nodeStream(p.nodeId), new BondStake({ ...p, actor: ctx.actor, at: ctx.at, ...(deposit ? { deposit } : {}) }), ctx.metadata)
      })
  }),
  commandSpec({
    type: "UnbondStake",
    aggregate: "node",
    summary: "Start unbonding free stake; it can be withdrawn after the protocol's unbonding delay.",
    payload: UnbondStakePayload,
    handle: (p, ctx) =>
      handleCommand(
        nodeStakeDecider,
        nodeStream(p.nodeId),
        new UnbondStake({ ...p, actor: ctx.actor, at: ctx.at, unbondingSeconds: ctx.protocol.unbondingSeconds }),
        ctx.metadata
      )
  }),
  commandSpec({
    type: "WithdrawStake",
    aggregate: "node",
    summary: "Withdraw every unbonding whose delay has passed.",
    payload: WithdrawStakePayload,
    handle: (p, ctx) => handleCommand(nodeStakeDecider, nodeStream(p.nodeId), new WithdrawStake({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "ReleaseStake",
    aggregate: "node",
    summary: "Take back the stake committed to a task that no longer needs it, less what its rulings slashed.",
    payload: ReleaseStakePayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const claim = stakeClaim(yield* loadTaskState(p.taskId), p.nodeId)
        return yield* handleCommand(
          nodeStakeDecider,
          nodeStream(p.nodeId),
          new ReleaseStake({ ...p, actor: ctx.actor, at: ctx.at, task: { ...(claim.heldBecause ? { heldBecause: claim.heldBecause } : {}), slashed: claim.slashed } }),
          ctx.metadata
        )
      })
  })
]
