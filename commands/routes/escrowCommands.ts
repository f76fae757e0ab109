import { Effect } from "effect"
import { RecordDeposit, RecordDepositPayload, RecordSettlement, RecordSettlementPayload } from "../../domain/escrow/commands"
import { escrow, settlementAccount } from "../../domain/escrow/decide"
import { NotBridgeKey } from "../../domain/anchor/errors"
import { UnknownEscrowAccount } from "../../domain/escrow/errors"
import { escrowStream, parseAccountName } from "../../domain/escrow/events"
import { commandSpec } from "../commandSpec"
import { depositLookup, loadOwed, settlementLookup } from "../escrowFacts"
import { handleCommand } from "../handleCommand"

/** The chain bridge's reports of the escrow contract: each checked against the chain (and, for settlements, against what the log owes). */
export const escrowCommands = [
  commandSpec({
    type: "RecordDeposit",
    aggregate: "escrow",
    summary: "The chain bridge records a NeuraEscrow Deposited log (checked against the chain: account, depositor, amount, block).",
    payload: RecordDepositPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        // Only the bridge's keys: checked before any chain read, so nobody else can make the API query the chain.
        if (!ctx.actorIsBridge) return yield* Effect.fail(new NotBridgeKey({ signer: ctx.actor }))
        const account = parseAccountName(p.account)
        if (!account) return yield* Effect.fail(new UnknownEscrowAccount({ account: p.account }))
        const onChain = yield* depositLookup(ctx.settlement)(p.chainId, p.contract, p.txHash, p.logIndex)
        return yield* handleCommand(
          escrow,
          escrowStream(account),
          new RecordDeposit({ ...p, ...(onChain ? { onChain } : {}), actorIsBridge: ctx.actorIsBridge, actor: ctx.actor, at: ctx.at }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "RecordSettlement",
    aggregate: "escrow",
    summary: "The chain bridge records a settlement it posted: refused unless it is exactly what the log owes (root, total, burned) and what the escrow holds.",
    payload: RecordSettlementPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        if (!ctx.actorIsBridge) return yield* Effect.fail(new NotBridgeKey({ signer: ctx.actor }))
        const account = settlementAccount(p.settlement)
        if (!account) return yield* Effect.fail(new UnknownEscrowAccount({ account: p.settlement }))
        const owed = yield* loadOwed(p.settlement)
        const onChain = yield* settlementLookup(ctx.settlement)(p.chainId, p.contract, p.settlement, "debits" in owed ? owed.debits.map((d) => d.account) : [])
        return yield* handleCommand(
          escrow,
          escrowStream(account),
          new RecordSettlement({ ...p, owed, ...(onChain ? { onChain } : {}), actorIsBridge: ctx.actorIsBridge, actor: ctx.actor, at: ctx.at }),
          ctx.metadata
        )
      })
  })
]
