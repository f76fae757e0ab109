import { Result } from "effect"
import type { Decider } from "../decider"
import { NotBridgeKey } from "../anchor/errors"
import type { EscrowCommand, RecordDeposit, RecordSettlement } from "./commands"
import { DepositAlreadyRecorded, DepositNotOnChain, NothingToSettle, SettlementAlreadyRecorded, SettlementMismatch, UnknownEscrowAccount, type EscrowError } from "./errors"
import { parseAccountName, type EscrowAccount, type EscrowEvent } from "./events"
import { parseSettlementName, settlementAccountName } from "./settlement"

/** One escrow account's stream: the deposits recorded (by transaction and log index), their sum, the settlements recorded. */
export interface EscrowState {
  readonly deposits: ReadonlySet<string>
  readonly deposited: bigint
  readonly settled: ReadonlyMap<string, bigint>
}

const depositKey = (d: { txHash: string; logIndex: number }) => `${d.txHash}:${d.logIndex}`

type Decision = Result.Result<ReadonlyArray<EscrowEvent>, EscrowError | NotBridgeKey>

/** A deposit enters the log only as the chain has it, and only once. */
export const recordDeposit = (c: RecordDeposit, state: EscrowState): Decision => {
  if (!c.actorIsBridge) return Result.fail(new NotBridgeKey({ signer: c.actor }))
  const account = parseAccountName(c.account)
  if (!account) return Result.fail(new UnknownEscrowAccount({ account: c.account }))
  const chain = c.onChain
  if (!chain) return Result.fail(new DepositNotOnChain({ txHash: c.txHash, logIndex: c.logIndex, reason: "no Deposited log of the escrow contract there" }))
  const differing = (["account", "depositor", "amount", "blockNumber"] as const).filter((f) => String(chain[f]).toLowerCase() !== String(c[f]).toLowerCase())
  if (differing.length > 0) return Result.fail(new DepositNotOnChain({ txHash: c.txHash, logIndex: c.logIndex, reason: `differs from the chain in ${differing.join(", ")}` }))
  if (state.deposits.has(depositKey(c))) return Result.fail(new DepositAlreadyRecorded({ txHash: c.txHash, logIndex: c.logIndex }))
  return Result.succeed([
    {
      _tag: "DepositObserved",
      account,
      depositor: c.depositor,
      amount: c.amount,
      chainId: c.chainId,
      contract: c.contract,
      txHash: c.txHash,
      blockNumber: c.blockNumber,
      logIndex: c.logIndex,
      observedAt: c.at
    }
  ])
}

/**
 * A settlement enters the log only when it is exactly what the log owes
 * (root, total, burned: recomputed by the API from the ledger events) and
 * exactly what the escrow contract holds under its id.
 */
export const recordSettlement = (c: RecordSettlement, state: EscrowState, account: EscrowAccount): Decision => {
  if (!c.actorIsBridge) return Result.fail(new NotBridgeKey({ signer: c.actor }))
  if ("notReady" in c.owed) return Result.fail(new NothingToSettle({ settlement: c.settlement, reason: c.owed.notReady }))
  const owed = c.owed
  const vsLog = (["root", "total", "burned"] as const).filter((f) => owed[f] !== c[f])
  if (vsLog.length > 0) return Result.fail(new SettlementMismatch({ settlement: c.settlement, reason: `differs from what the log owes in ${vsLog.join(", ")}` }))
  if (!c.onChain) return Result.fail(new SettlementMismatch({ settlement: c.settlement, reason: "the escrow contract holds no settlement under its id" }))
  const onChain = c.onChain
  const vsChain = (["root", "total", "burned", "txHash", "blockNumber"] as const).filter((f) => onChain[f] !== c[f])
  if (vsChain.length > 0) return Result.fail(new SettlementMismatch({ settlement: c.settlement, reason: `differs from the chain in ${vsChain.join(", ")}` }))
  // The settler chose which accounts paid: they must be exactly the ones the log owes from.
  const debitsOf = (ds: ReadonlyArray<{ account: string; amount: bigint }>) => ds.map((d) => `${d.account}=${d.amount}`).sort().join(",")
  if (debitsOf(onChain.debits) !== debitsOf(owed.debits)) {
    return Result.fail(new SettlementMismatch({ settlement: c.settlement, reason: `the chain debited ${debitsOf(onChain.debits) || "nothing"}, the log owes from ${debitsOf(owed.debits) || "nothing"}` }))
  }
  if (state.settled.has(c.settlement)) return Result.fail(new SettlementAlreadyRecorded({ settlement: c.settlement }))
  return Result.succeed([
    {
      _tag: "SettlementPosted",
      account,
      settlement: c.settlement,
      settlementId: owed.settlementId,
      root: c.root,
      total: c.total,
      burned: c.burned,
      claims: owed.claims,
      debits: owed.debits,
      chainId: c.chainId,
      contract: c.contract,
      txHash: c.txHash,
      blockNumber: c.blockNumber,
      postedAt: c.at
    }
  ])
}

/** Which account a settlement name pays from: `settle:task:<id>` → task, `settle:scoring:<id>` → scoring, `settle:withdrawal:<node>:<n>` → stake. */
export const settlementAccount = (settlement: string): EscrowAccount | undefined => {
  const name = parseSettlementName(settlement)
  return name && parseAccountName(settlementAccountName(name))
}

export const escrow: Decider<EscrowCommand, EscrowEvent, EscrowState, EscrowError | NotBridgeKey> = {
  decide: (c, state) => {
    if (c._tag === "RecordDeposit") return recordDeposit(c, state)
    const account = settlementAccount(c.settlement)
    return account ? recordSettlement(c, state, account) : Result.fail(new UnknownEscrowAccount({ account: c.settlement }))
  },
  evolve: (state, e) =>
    e._tag === "DepositObserved"
      ? { ...state, deposits: new Set([...state.deposits, depositKey(e)]), deposited: state.deposited + e.amount }
      : { ...state, settled: new Map(state.settled).set(e.settlement, e.total) },
  initialState: { deposits: new Set(), deposited: 0n, settled: new Map() }
}
