import { Effect } from "effect"
import type { Hex } from "viem"
import { ChainUnavailable } from "../chain-bridge/ChainClient"
import { accountIdOf, settlementIdOf, settlementTree } from "../chain-bridge/settlement/claimsTree"
import type { EscrowClient, SettlementContracts } from "../chain-bridge/settlement/contracts"
import type { OnChainDepositFacts, OnChainSettlementFacts, OwedFacts } from "../domain/escrow/commands"
import { escrowStream, type EscrowAccount, type EscrowEvent } from "../domain/escrow/events"
import { owedBy, sourceStreamOf } from "../domain/escrow/settlement"
import type { Hash32 } from "../domain/primitives"
import { chainCall } from "./anchorFacts"
import { history } from "./facts"

/**
 * On-chain settlement as the API sees it (docs/settlement.md): the escrow
 * contract it checks the bridge's RecordDeposit / RecordSettlement against,
 * and the contracts it tells clients about (GET /settlement). Without it the
 * API settles nothing on chain and budgets are declared (unbacked).
 */
export interface SettlementChain {
  readonly chainId: number
  readonly contracts: SettlementContracts
  readonly escrow: Pick<EscrowClient, "depositAt" | "settlementOf">
}

const sameContract = (chain: SettlementChain | undefined, chainId: number, contract: string) =>
  chain && chain.chainId === chainId && chain.contracts.escrow.toLowerCase() === contract.toLowerCase()
    ? Effect.succeed(chain)
    : Effect.fail(new ChainUnavailable({ reason: `this API checks no NeuraEscrow ${contract} on chain ${chainId}` }))

/** The `Deposited` log at (txHash, logIndex), read from the configured escrow contract. */
export const depositLookup =
  (chain: SettlementChain | undefined) =>
  (chainId: number, contract: string, txHash: string, logIndex: number): Effect.Effect<typeof OnChainDepositFacts.Type | undefined, ChainUnavailable> =>
    Effect.flatMap(sameContract(chain, chainId, contract), (c) =>
      Effect.map(chainCall(() => c.escrow.depositAt(txHash as Hex, logIndex)), (d) =>
        d ? { account: d.account, depositor: d.depositor as never, amount: d.amount, blockNumber: d.blockNumber } : undefined
      )
    )

/**
 * The settlement the configured escrow contract holds under a name's id.
 * Debited account ids are named back with `accountNames` (the accounts the
 * log owes from); an id that matches none stays as its hex.
 */
export const settlementLookup =
  (chain: SettlementChain | undefined) =>
  (chainId: number, contract: string, settlement: string, accountNames: ReadonlyArray<string>): Effect.Effect<typeof OnChainSettlementFacts.Type | undefined, ChainUnavailable> =>
    Effect.flatMap(sameContract(chain, chainId, contract), (c) =>
      Effect.map(chainCall(() => c.escrow.settlementOf(settlementIdOf(settlement))), (s) => {
        if (!s) return undefined
        const nameOf = new Map(accountNames.map((n) => [accountIdOf(n), n]))
        const debits = s.debits.map((d) => ({ account: nameOf.get(d.accountId) ?? d.accountId, amount: d.amount }))
        return { root: s.root as Hash32, total: s.total, burned: s.burned, debits, txHash: s.txHash as Hash32, blockNumber: s.blockNumber }
      })
    )

/** An escrow account's stream (deposits and settlements recorded so far). */
export const escrowHistory = (account: EscrowAccount) => Effect.map(history(escrowStream(account)), (events) => events.map((e) => e.data as EscrowEvent))

/** What `depositor` (every depositor when omitted) has deposited into an account, as recorded. */
export const loadDeposited = (account: EscrowAccount, depositor?: string) =>
  Effect.map(escrowHistory(account), (events) =>
    events.reduce((sum, e) => (e._tag === "DepositObserved" && (!depositor || e.depositor.toLowerCase() === depositor.toLowerCase()) ? sum + e.amount : sum), 0n)
  )

/** What the log owes under a settlement name, with its Merkle root: recomputed here from the ledger events, never taken from the bridge. */
export const loadOwed = (settlement: string) =>
  Effect.gen(function* () {
    const source = sourceStreamOf(settlement)
    if (!source) return { notReady: `${settlement} names no settlement` } as typeof OwedFacts.Type
    const owed = owedBy(settlement, (yield* history(source)).map((e) => e.data))
    if ("notReady" in owed) return owed as typeof OwedFacts.Type
    const tree = settlementTree(owed)
    return { settlementId: tree.settlementId as Hash32, root: tree.root as Hash32, total: owed.total, burned: owed.burned, claims: owed.claims, debits: owed.debits }
  })
