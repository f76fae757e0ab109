import { describe, expect, it } from "vitest"
import { nodeStakeDecider } from "../../../domain/node"
import { BondStake, CommitStake, ReleaseStake, UnbondStake, WithdrawStake } from "../../../domain/node/stake"
import type { NodeEvent } from "../../../domain/node/events"
import type { NodeId, TaskId } from "../../../domain/primitives"
import { fold } from "../../../domain/decider"
import { deciderSpec } from "../../support/deciderSpec"
import { address, nodeRegistered } from "../../support/events"
import { T0, at } from "../../support/fixtures"

/** A node's stake, on its own stream: bond, commit to tasks, release, unbond, withdraw. */
const spec = deciderSpec(nodeStakeDecider)
const me = address(7)
const nodeId = "n1" as NodeId
const T = "T1" as TaskId
const registered = [nodeRegistered("n1", 7) as NodeEvent]
const bonded = (amount: bigint): NodeEvent => ({ _tag: "StakeBonded", nodeId, address: me, amount, bondedAt: T0 })
const committed = (amount: bigint): NodeEvent => ({ _tag: "StakeCommitted", nodeId, address: me, taskId: T, amount, committedAt: at(1) })
const stakeOf = (events: ReadonlyArray<NodeEvent>) => {
  const s = fold(nodeStakeDecider, events)
  return s.status === "registered" ? s.stake : undefined
}

describe("Node stake", () => {
  it("a registered node bonds Neura with its own key", () => {
    spec.given(registered).when(new BondStake({ nodeId, amount: 5_000n, actor: me, at: T0 })).then([bonded(5_000n)])
    spec.given(registered).when(new BondStake({ nodeId, amount: 5_000n, actor: address(8), at: T0 })).thenFails("NotNodeSigner")
    spec.given([]).when(new BondStake({ nodeId, amount: 5_000n, actor: me, at: T0 })).thenFails("NodeNotRegistered")
    spec.given(registered).when(new BondStake({ nodeId, amount: 0n, actor: me, at: T0 })).thenFails("InvalidAmount")
  })
  it("joining a task commits stake from the free balance, once per task", () => {
    spec.given([...registered, bonded(5_000n)]).when(new CommitStake({ nodeId, taskId: T, amount: 1_000n, actor: me, at: at(1) })).then([committed(1_000n)])
    spec.given([...registered, bonded(500n)]).when(new CommitStake({ nodeId, taskId: T, amount: 1_000n, actor: me, at: at(1) })).thenFails("StakeTooLow")
    spec.given([...registered, bonded(5_000n), committed(1_000n)]).when(new CommitStake({ nodeId, taskId: T, amount: 1_000n, actor: me, at: at(2) })).then([])
    expect(stakeOf([...registered, bonded(5_000n), committed(1_000n)])).toMatchObject({ free: 4_000n })
  })
  it("committed stake comes back only when the task no longer needs it, less what its rulings slashed", () => {
    const h = [...registered, bonded(5_000n), committed(1_000n)]
    const release = (task: { heldBecause?: string; slashed: bigint }) => new ReleaseStake({ nodeId, taskId: T, actor: me, at: at(9), task })
    spec.given(h).when(release({ heldBecause: "task T1 is still running", slashed: 0n })).thenFails("StakeStillNeeded")
    spec.given(h).when(release({ slashed: 400n })).then([{ _tag: "StakeReleased", nodeId, address: me, taskId: T, amount: 600n, slashed: 400n, releasedAt: at(9) }])
    const after = [...h, { _tag: "StakeReleased", nodeId, address: me, taskId: T, amount: 600n, slashed: 400n, releasedAt: at(9) } as NodeEvent]
    expect(stakeOf(after)).toMatchObject({ free: 4_600n })
    spec.given(after).when(release({ slashed: 0n })).thenFails("StakeStillNeeded")
  })
  it("free stake unbonds, and is withdrawn only after the unbonding delay", () => {
    const h = [...registered, bonded(5_000n), committed(1_000n)]
    spec.given(h).when(new UnbondStake({ nodeId, amount: 4_001n, actor: me, at: at(10), unbondingSeconds: 3600 })).thenFails("StakeTooLow")
    const unbonding: NodeEvent = { _tag: "UnbondingStarted", nodeId, address: me, amount: 4_000n, availableAt: at(3610), startedAt: at(10) }
    spec.given(h).when(new UnbondStake({ nodeId, amount: 4_000n, actor: me, at: at(10), unbondingSeconds: 3600 })).then([unbonding])
    spec.given([...h, unbonding]).when(new WithdrawStake({ nodeId, actor: me, at: at(3609) })).thenFails("NothingToWithdraw", { nextAvailableAt: at(3610) })
    spec.given([...h, unbonding]).when(new WithdrawStake({ nodeId, actor: me, at: at(3610) })).then([{ _tag: "StakeWithdrawn", nodeId, address: me, amount: 4_000n, withdrawnAt: at(3610) }])
    expect(stakeOf([...h, unbonding, { _tag: "StakeWithdrawn", nodeId, address: me, amount: 4_000n, withdrawnAt: at(3610) }])).toMatchObject({ free: 0n, unbonding: [] })
  })
})
