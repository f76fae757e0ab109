import { Effect, Schema } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { settlementTree } from "../../chain-bridge/settlement/claimsTree"
import { UnknownEscrowAccount } from "../../domain/escrow/errors"
import { EscrowEvent, parseAccountName, type EscrowAccount } from "../../domain/escrow/events"
import { settlementAccount } from "../../domain/escrow/decide"
import type { SettlementChain } from "../escrowFacts"
import { escrowHistory } from "../escrowFacts"
import { runForRequest, type ApiRuntime } from "../runtime"

/** No settlement of that name is in the log (yet: the bridge posts it once the task has ended with nothing held). */
export class SettlementNotFound extends Schema.TaggedError<SettlementNotFound>()("SettlementNotFound", { settlement: Schema.String, payee: Schema.optional(Schema.String) }) {}

const encodeEvent = Schema.encodeSync(EscrowEvent)

/** Where clients deposit and claim: the contracts, or `declared` when this API settles nothing on chain. */
export const SettlementInfo = Schema.Union([
  Schema.Struct({
    mode: Schema.Literal("chain"),
    chainId: Schema.Number,
    token: Schema.String,
    escrow: Schema.String,
    registry: Schema.String,
    anchorContract: Schema.String,
    deployedAtBlock: Schema.Number,
    accounts: Schema.Struct({ task: Schema.String, stake: Schema.String })
  }),
  Schema.Struct({ mode: Schema.Literal("declared"), detail: Schema.String })
])

export const EscrowAccountAnswer = Schema.Struct({
  account: Schema.String,
  deposited: Schema.String,
  settled: Schema.String,
  events: Schema.Array(Schema.Record(Schema.String, Schema.Unknown))
})

export const ClaimAnswer = Schema.Struct({
  settlement: Schema.String,
  settlementId: Schema.String,
  chainId: Schema.Number,
  escrow: Schema.String,
  root: Schema.String,
  payee: Schema.String,
  amount: Schema.String,
  proof: Schema.Array(Schema.String),
  call: Schema.String
})

const accountOf = (name: string): Effect.Effect<EscrowAccount, UnknownEscrowAccount> => {
  const account = parseAccountName(name)
  return account ? Effect.succeed(account) : Effect.fail(new UnknownEscrowAccount({ account: name }))
}

/** The settlement of that name as the log recorded it (claims, debits, root, transaction). */
const postedSettlement = (settlement: string) =>
  Effect.gen(function* () {
    const account = settlementAccount(settlement)
    if (!account) return yield* Effect.fail(new UnknownEscrowAccount({ account: settlement }))
    const posted = (yield* escrowHistory(account)).find((e) => e._tag === "SettlementPosted" && e.settlement === settlement)
    if (!posted || posted._tag !== "SettlementPosted") return yield* Effect.fail(new SettlementNotFound({ settlement }))
    return posted
  })

/**
 * Settlement reads: where to deposit (GET /settlement), an escrow account's
 * recorded deposits and settlements (GET /escrow/:account), a posted
 * settlement (GET /settlements/:settlement) and one payee's claim with its
 * Merkle proof, ready for `NeuraEscrow.claim` (GET /settlements/:s/claims/:payee).
 */
export const settlementRoutes: FastifyPluginAsync<{ runtime: ApiRuntime; settlement: SettlementChain | undefined }> = async (app, { runtime, settlement }) => {
  app.get("/settlement", async () =>
    settlement
      ? {
          mode: "chain" as const,
          chainId: settlement.chainId,
          token: settlement.contracts.token,
          escrow: settlement.contracts.escrow,
          registry: settlement.contracts.registry,
          anchorContract: settlement.contracts.anchorContract,
          deployedAtBlock: settlement.contracts.deployedAtBlock,
          accounts: { task: "task:<taskId>", stake: "stake:<nodeId>" }
        }
      : { mode: "declared" as const, detail: "this API is configured with no escrow contract: budgets and stake are recorded as declared, not backed on chain" }
  )
  app.get<{ Params: { account: string } }>("/escrow/:account", async (request) =>
    runForRequest(
      runtime,
      Effect.gen(function* () {
        const account = yield* accountOf(request.params.account)
        const events = yield* escrowHistory(account)
        const sum = (tag: string, f: (e: any) => bigint) => events.filter((e) => e._tag === tag).reduce((s, e) => s + f(e), 0n)
        return {
          account: request.params.account,
          deposited: sum("DepositObserved", (e) => e.amount).toString(),
          settled: sum("SettlementPosted", (e) => e.total + e.burned).toString(),
          events: events.map((e) => encodeEvent(e) as Record<string, unknown>)
        }
      })
    )
  )
  app.get<{ Params: { settlement: string } }>("/settlements/:settlement", async (request) =>
    runForRequest(runtime, Effect.map(postedSettlement(request.params.settlement), (s) => encodeEvent(s)))
  )
  app.get<{ Params: { settlement: string; payee: string } }>("/settlements/:settlement/claims/:payee", async (request) =>
    runForRequest(
      runtime,
      Effect.gen(function* () {
        const { settlement: name, payee } = request.params
        const posted = yield* postedSettlement(name)
        const claim = settlementTree(posted).proofOf(payee)
        if (!claim) return yield* Effect.fail(new SettlementNotFound({ settlement: name, payee }))
        return {
          settlement: name,
          settlementId: posted.settlementId,
          chainId: posted.chainId,
          escrow: posted.contract,
          root: posted.root,
          payee: payee.toLowerCase(),
          amount: claim.amount.toString(),
          proof: [...claim.proof],
          call: "NeuraEscrow.claim(settlementId, payee, amount, proof): anyone may send it; the Neura go to payee, once"
        }
      })
    )
  )
}
