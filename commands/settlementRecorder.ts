import type { SettlementRecorder } from "../chain-bridge/settlement/settlementBridge"
import { ApiError, type NeuraClient } from "./client"

/**
 * The bridge's way of telling the log about the escrow contract: a signed
 * `RecordDeposit` per Deposited log and a `RecordSettlement` per posted
 * settlement. Command ids derive from what they record, so a resend is a
 * no-op; "already recorded" under another id is fine too.
 */
export const apiSettlementRecorder = (client: NeuraClient): SettlementRecorder => {
  const send = async (type: string, payload: unknown, commandId: string, alreadyThere: string) => {
    try {
      await client.command(type, payload, { commandId })
    } catch (e) {
      if (e instanceof ApiError && e.problem.code === alreadyThere) return
      throw e
    }
  }
  return {
    deposit: (d) =>
      send(
        "RecordDeposit",
        { chainId: d.chainId, contract: d.contract, account: d.account, depositor: d.depositor, amount: d.amount.toString(), txHash: d.txHash, logIndex: d.logIndex, blockNumber: d.blockNumber },
        `deposit-${d.chainId}-${d.txHash.slice(2, 34)}-${d.logIndex}`,
        "DepositAlreadyRecorded"
      ),
    settlement: (s) =>
      send(
        "RecordSettlement",
        { ...s, total: s.total.toString(), burned: s.burned.toString() },
        `settlement-${s.chainId}-${s.txHash.slice(2, 34)}`,
        "SettlementAlreadyRecorded"
      )
  }
}
