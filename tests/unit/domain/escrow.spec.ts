import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { escrow } from "../../../domain/escrow/decide"
import { RecordDeposit, RecordSettlement } from "../../../domain/escrow/commands"
import type { EscrowEvent } from "../../../domain/escrow/events"
import { owedBy, taskSettlement } from "../../../domain/escrow/settlement"
import { BondStake } from "../../../domain/node/stake"
import { nodeStakeDecider } from "../../../domain/node"
import type { NodeEvent } from "../../../domain/node/events"
import type { Hash32, NodeId, TaskId } from "../../../domain/primitives"
import { settlementTree, verifyClaim } from "../../../chain-bridge/settlement/claimsTree"
import { deciderSpec } from "../../support/deciderSpec"
import { address, nodeRegistered } from "../../support/events"
import { T0 } from "../../support/fixtures"

/** On-chain settlement, the pure parts: what the bridge may record, and what a settlement owes. */
const spec = deciderSpec(escrow)
const bridge = address(9)
const h = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hash32
const contract = address(5)
const deposit = (over: Partial<ConstructorParameters<typeof RecordDeposit>[0]> = {}) =>
  new RecordDeposit({
    chainId: 31337,
    contract,
    account: "task:T1",
    depositor: address(1),
    amount: 1_000n,
    txHash: h(1),
    logIndex: 0,
    blockNumber: 7,
    onChain: { account: "task:T1", depositor: address(1), amount: 1_000n, blockNumber: 7 },
    actorIsBridge: true,
    actor: bridge,
    at: T0,
    ...over
  })
const observed: EscrowEvent = {
  _tag: "DepositObserved",
  account: { _tag: "Task", taskId: "T1" as TaskId },
  depositor: address(1),
  amount: 1_000n,
  chainId: 31337,
  contract,
  txHash: h(1),
  blockNumber: 7,
  logIndex: 0,
  observedAt: T0
}

describe("Escrow: deposits enter the log only as the chain has them", () => {
  it("a bridge-signed deposit that matches the chain's Deposited log is recorded once", () => {
    spec.given([]).when(deposit()).then([observed])
    spec.given([observed]).when(deposit()).thenFails("DepositAlreadyRecorded")
  })
  it("anything else is refused: another signer, no such log, a different amount or depositor, an account of nobody", () => {
    spec.given([]).when(deposit({ actorIsBridge: false, actor: address(3) })).thenFails("NotBridgeKey")
    spec.given([]).when(deposit({ onChain: undefined })).thenFails("DepositNotOnChain")
    spec.given([]).when(deposit({ amount: 2_000n })).thenFails("DepositNotOnChain", { reason: "differs from the chain in amount" })
    spec.given([]).when(deposit({ depositor: address(2) })).thenFails("DepositNotOnChain", { reason: "differs from the chain in depositor" })
    spec.given([]).when(deposit({ account: "savings:me", onChain: { account: "savings:me", depositor: address(1), amount: 1_000n, blockNumber: 7 } })).thenFails("UnknownEscrowAccount")
  })
})

const ended = (extra: ReadonlyArray<{ _tag: string } & Record<string, unknown>> = []) => [
  { _tag: "RewardAllocated", recipient: address(2), amount: 600n },
  { _tag: "RewardAllocated", recipient: address(3), amount: 300n },
  { _tag: "RewardAllocated", recipient: address(2), amount: 50n },
  ...extra,
  { _tag: "TaskCompleted" },
  { _tag: "BudgetRefunded", owner: address(1), amount: 50n }
]

describe("What a settlement owes (docs/settlement.md)", () => {
  it("a task settles once ended with nothing held: claims summed per payee, sorted; the task's account and slashed stake debited", () => {
    const slash = { _tag: "StakeSlashed", nodeId: "cheat", referee: address(4), refereeReward: 100n, burned: 400n }
    const owed = taskSettlement("T1", ended([slash]))
    expect(owed).toEqual({
      settlement: "settle:task:T1",
      claims: [
        { payee: address(1), amount: 50n },
        { payee: address(2), amount: 650n },
        { payee: address(3), amount: 300n },
        { payee: address(4), amount: 100n }
      ],
      debits: [
        { account: "task:T1", amount: 1_000n },
        { account: "stake:cheat", amount: 500n }
      ],
      total: 1_100n,
      burned: 400n
    })
  })
  it("not before the task ends, nor while a reward waits in its challenge window", () => {
    expect(taskSettlement("T1", [{ _tag: "RewardAllocated", recipient: address(2), amount: 1n } as never])).toEqual({ notReady: "task T1 has not ended" })
    expect(taskSettlement("T1", ended([{ _tag: "RewardHeld", resultId: "R1" }]))).toMatchObject({ notReady: expect.stringMatching(/R1 is still held/) })
    expect(taskSettlement("T1", ended([{ _tag: "RewardHeld", resultId: "R1" }, { _tag: "ResultFinalized", resultId: "R1" }]))).not.toHaveProperty("notReady")
  })
  it("a withdrawal pays the node's address from its stake account; the n-th one by its stream's order", () => {
    const events = [{ _tag: "StakeBonded" }, { _tag: "StakeWithdrawn", address: address(6), amount: 10n }, { _tag: "StakeWithdrawn", address: address(6), amount: 20n }]
    expect(owedBy("settle:withdrawal:n1:2", events)).toEqual({
      settlement: "settle:withdrawal:n1:2",
      claims: [{ payee: address(6), amount: 20n }],
      debits: [{ account: "stake:n1", amount: 20n }],
      total: 20n,
      burned: 0n
    })
    expect(owedBy("settle:withdrawal:n1:3", events)).toMatchObject({ notReady: expect.any(String) })
  })
  it("a scoring settles once scored or failed: the judges' shares and the requester's refund, from scoring:<id>", () => {
    const events = [
      { _tag: "ScoringRequested" },
      { _tag: "ScoringFeePaid", recipient: address(2), amount: 300n },
      { _tag: "ScoringFeePaid", recipient: address(3), amount: 300n },
      { _tag: "ScoringFeeRefunded", owner: address(1), amount: 300n }
    ]
    expect(owedBy("settle:scoring:M-1-v2-val", events.slice(0, 3))).toEqual({ notReady: "scoring M-1-v2-val is not settled" })
    expect(owedBy("settle:scoring:M-1-v2-val", [...events.slice(0, 3), { _tag: "ModelVersionScored" }, events[3]!])).toEqual({
      settlement: "settle:scoring:M-1-v2-val",
      claims: [
        { payee: address(1), amount: 300n },
        { payee: address(2), amount: 300n },
        { payee: address(3), amount: 300n }
      ],
      debits: [{ account: "scoring:M-1-v2-val", amount: 900n }],
      total: 900n,
      burned: 0n
    })
  })
  it("conservation: whatever the payouts and slashes, debits = claimable + burned, and every claim's proof verifies against the root", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.bigInt({ min: 1n, max: 10n ** 20n })), { maxLength: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.bigInt({ min: 0n, max: 10n ** 18n })), { maxLength: 4 }),
        (payouts, slashes) => {
          const events = [
            ...payouts.map(([who, amount]) => ({ _tag: "RewardAllocated", recipient: address(who), amount })),
            ...slashes.map(([who, reward, burned], i) => ({ _tag: "StakeSlashed", nodeId: `n${i % 2}`, referee: address(who), refereeReward: reward, burned })),
            { _tag: "TaskExhausted" }
          ]
          const owed = taskSettlement("T9", events)
          if ("notReady" in owed) throw new Error(owed.notReady)
          expect(owed.debits.reduce((s, d) => s + d.amount, 0n)).toBe(owed.total + owed.burned)
          expect(owed.claims.reduce((s, c) => s + c.amount, 0n)).toBe(owed.total)
          const tree = settlementTree(owed)
          for (const c of owed.claims) expect(verifyClaim(tree.root, tree.settlementId, c.payee, c.amount, tree.proofOf(c.payee)!.proof)).toBe(true)
          for (const c of owed.claims) expect(verifyClaim(tree.root, tree.settlementId, c.payee, c.amount + 1n, tree.proofOf(c.payee)!.proof)).toBe(false)
        }
      ),
      { numRuns: 100 }
    )
  })
})

describe("Escrow: a settlement enters the log only as the log owes it and the chain holds it", () => {
  const owed = taskSettlement("T1", ended())
  if ("notReady" in owed) throw new Error("not ready")
  const tree = settlementTree(owed)
  const settle = (over: Partial<ConstructorParameters<typeof RecordSettlement>[0]> = {}) =>
    new RecordSettlement({
      chainId: 31337,
      contract,
      settlement: "settle:task:T1",
      root: tree.root as Hash32,
      total: owed.total,
      burned: 0n,
      txHash: h(2),
      blockNumber: 9,
      owed: { settlementId: tree.settlementId as Hash32, root: tree.root as Hash32, total: owed.total, burned: 0n, claims: owed.claims, debits: owed.debits },
      onChain: { root: tree.root as Hash32, total: owed.total, burned: 0n, debits: owed.debits, txHash: h(2), blockNumber: 9 },
      actorIsBridge: true,
      actor: bridge,
      at: T0,
      ...over
    })
  it("recorded once, with its claims and debits", () => {
    const [posted] = spec.given([observed]).when(settle()).thenEvents((events) => expect(events).toHaveLength(1))
    expect(posted).toMatchObject({ _tag: "SettlementPosted", settlementId: tree.settlementId, claims: owed.claims, debits: owed.debits, total: 1_000n })
    spec.given([observed, posted!]).when(settle()).thenFails("SettlementAlreadyRecorded")
  })
  it("refused when it is not what the log owes, not on chain, or the task cannot settle yet", () => {
    spec.given([observed]).when(settle({ root: h(3) })).thenFails("SettlementMismatch", { reason: "differs from what the log owes in root" })
    spec.given([observed]).when(settle({ total: 999n })).thenFails("SettlementMismatch")
    spec.given([observed]).when(settle({ onChain: undefined })).thenFails("SettlementMismatch", { reason: "the escrow contract holds no settlement under its id" })
    spec.given([observed]).when(settle({ onChain: { root: tree.root as Hash32, total: owed.total, burned: 0n, debits: owed.debits, txHash: h(4), blockNumber: 9 } })).thenFails("SettlementMismatch", { reason: "differs from the chain in txHash" })
    // The settler paid it from another task's deposit: refused, although root and total are right.
    spec
      .given([observed])
      .when(settle({ onChain: { root: tree.root as Hash32, total: owed.total, burned: 0n, debits: [{ account: "task:OTHER", amount: 1_000n }], txHash: h(2), blockNumber: 9 } }))
      .thenFails("SettlementMismatch", { reason: "the chain debited task:OTHER=1000, the log owes from task:T1=1000" })
    spec.given([observed]).when(settle({ owed: { notReady: "task T1 has not ended" } })).thenFails("NothingToSettle")
    spec.given([observed]).when(settle({ actorIsBridge: false })).thenFails("NotBridgeKey")
  })
})

describe("Stake with on-chain settlement", () => {
  const stake = deciderSpec(nodeStakeDecider)
  const nodeId = "n1" as NodeId
  const registered = [nodeRegistered("n1", 7) as NodeEvent]
  it("bonds only what was deposited into stake:<nodeId> and not bonded before", () => {
    stake.given(registered).when(new BondStake({ nodeId, amount: 600n, actor: address(7), at: T0, deposit: { deposited: 1_000n, bonded: 400n } })).thenEvents((e) => expect(e).toHaveLength(1))
    stake
      .given(registered)
      .when(new BondStake({ nodeId, amount: 601n, actor: address(7), at: T0, deposit: { deposited: 1_000n, bonded: 400n } }))
      .thenFails("NotDeposited", { account: "stake:n1", needed: "1001", deposited: "1000" })
  })
})
