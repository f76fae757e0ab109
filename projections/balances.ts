import type { RecordedEvent } from "../domain/recordedEvent"
import { alreadyApplied, positionOf, type Projection } from "./projection"
import type { Payout, BalanceDoc } from "./documents"
export type { Payout, BalanceDoc } from "./documents"

const blank = (address: string): BalanceDoc => ({ position: "0.0", address, earned: "0", refunded: "0", escrowed: "0", net: "0", payouts: [] })
const withNet = (d: Omit<BalanceDoc, "net">): BalanceDoc => ({ ...d, net: (BigInt(d.earned) + BigInt(d.refunded) - BigInt(d.escrowed)).toString() })

/** Balances and payouts per address (the Neura ledger, read side). */
export const balancesProjection: Projection<BalanceDoc> = {
  name: "balances",
  canHandle: ["BudgetEscrowed", "RewardAllocated", "BudgetRefunded"],
  evolve: (read, e: RecordedEvent) => {
    const d = e.data
    const position = positionOf(e)
    const address = d._tag === "RewardAllocated" ? d.recipient : d._tag === "BudgetEscrowed" || d._tag === "BudgetRefunded" ? d.owner : undefined
    if (!address) return []
    const doc = read<BalanceDoc>("balances", address) ?? blank(address)
    if (alreadyApplied(doc, e)) return []
    switch (d._tag) {
      case "BudgetEscrowed":
        return [[address, withNet({ ...doc, position, escrowed: (BigInt(doc.escrowed) + d.amount).toString() })]]
      case "BudgetRefunded":
        return [[address, withNet({ ...doc, position, refunded: (BigInt(doc.refunded) + d.amount).toString() })]]
      case "RewardAllocated":
        return [
          [
            address,
            withNet({
              ...doc,
              position,
              earned: (BigInt(doc.earned) + d.amount).toString(),
              payouts: [...doc.payouts, { taskId: d.taskId, round: d.round, role: d.role, amount: d.amount.toString(), reason: d.reason, position }]
            })
          ]
        ]
      default:
        return []
    }
  }
}
