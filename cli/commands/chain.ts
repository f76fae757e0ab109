import { bytesToHex, formatEther, type Address, type Hex } from "viem"
import { chainClient, READ_ONLY_KEY } from "../../chain-bridge/ChainClient"
import { escrowClient } from "../../chain-bridge/settlement/contracts"
import { devTreasury } from "../../chain-bridge/settlement/treasury"
import { checkProvenEvents, type ProvenEvent } from "../../chain-bridge/verifyResult"
import { depositRecorded, settlementInfo } from "../../commands/deposits"
import { devKey } from "../../infra/identity/devKeys"
import { UsageError, type Ctx, type CliCommand } from "../cli"

const rpcOption = { rpc: { type: "string" as const, description: "the chain's JSON-RPC URL (default: CHAIN_RPC_URL, else the deployment record's)" } }

/** The chain as this API settles on it: its contracts from GET /settlement, its RPC from --rpc, CHAIN_RPC_URL or the deployment record. */
const chainOf = async (ctx: Ctx, values: Readonly<Record<string, string | boolean | undefined>>) => {
  const info = await settlementInfo(ctx.reader)
  if (info.mode !== "chain") throw new UsageError(`the API at ${ctx.api} settles nothing on chain (${info.detail})`)
  const rpc = (values.rpc as string | undefined) ?? process.env.CHAIN_RPC_URL ?? ctx.deployment().chain.rpc
  return { info, connection: (privateKey: Hex) => ({ chainId: info.chainId, rpc, privateKey }) }
}

const amountOf = (text: string | undefined, what: string) => {
  if (!text || !/^[0-9]+$/.test(text)) throw new UsageError(`${what} must be an integer number of base units`)
  return BigInt(text)
}

/** The signer's key as a chain account (a node or user key is an Ethereum account). */
const signerSecret = (ctx: Ctx) => bytesToHex(ctx.signer().key.secretKey)

/** The signer deposits into an escrow account with a permit (one transaction) and waits until the log records `recorded` there. */
export const depositFromSigner = async (ctx: Ctx, values: Readonly<Record<string, string | boolean | undefined>>, account: string, amount: bigint, recorded = amount) => {
  const chain = await chainOf(ctx, values)
  const tx = await escrowClient(chain.connection(signerSecret(ctx)), chain.info).depositWithPermit(account, amount)
  return { txHash: tx.txHash, deposited: (await depositRecorded(ctx.reader, account, recorded)).deposited }
}

/**
 * On-chain settlement from the command line (docs/settlement.md): deposit a
 * budget or stake with a permit, claim what a settlement owes you, read an
 * escrow account, check a result's proofs against the chain, and (dev chain
 * only) get Neura and gas from the faucet.
 */
export const chainCommands: ReadonlyArray<CliCommand> = [
  {
    name: "deposit",
    args: "<account> <amount>",
    summary:
      "Deposit Neura into an escrow account (task:<taskId> before creating that task, stake:<nodeId> before bonding) with an EIP-2612 permit: one transaction from the signer's key; waits until the bridge has recorded it in the log.",
    options: rpcOption,
    run: async (ctx, [account, amountText], values) => {
      if (!account) throw new UsageError("deposit needs <account> (task:<taskId> or stake:<nodeId>) and <amount>")
      const amount = amountOf(amountText, "<amount>")
      const { txHash, deposited } = await depositFromSigner(ctx, values, account, amount)
      ctx.print(`deposited ${amount} into ${account} (tx ${txHash}); the log records ${deposited} deposited there`, { account, amount: amount.toString(), txHash, deposited })
      return 0
    }
  },
  {
    name: "claim",
    args: "<settlement>",
    summary:
      "Claim what a settlement (settle:task:<taskId>, settle:withdrawal:<nodeId>:<n>) owes the signer (or --payee), with the proof from GET /settlements/…/claims/…; the signer's key sends the transaction, the Neura go to the payee.",
    options: { ...rpcOption, payee: { type: "string", description: "claim for this address instead of the signer's" } },
    run: async (ctx, [settlement], values) => {
      if (!settlement) throw new UsageError("claim needs <settlement>")
      const signer = ctx.signer()
      const payee = ((values.payee as string | undefined) ?? signer.key.address).toLowerCase() as Address
      const claim = await ctx.reader.get(`/settlements/${settlement}/claims/${payee}`)
      const chain = await chainOf(ctx, values)
      const escrow = escrowClient(chain.connection(signerSecret(ctx)), chain.info)
      const tx = await escrow.claim(claim.settlementId, payee, BigInt(claim.amount), claim.proof)
      ctx.print(`claimed ${claim.amount} Neura for ${payee} from ${settlement} (tx ${tx.txHash})`, { ...claim, txHash: tx.txHash })
      return 0
    }
  },
  {
    name: "escrow",
    args: "<account>",
    summary: "An escrow account as the log has it (task:<taskId> or stake:<nodeId>): deposits recorded, settlements posted, and its balance on chain.",
    options: rpcOption,
    run: async (ctx, [account], values) => {
      if (!account) throw new UsageError("escrow needs <account>")
      const answer = await ctx.reader.get(`/escrow/${account}`)
      const chain = await chainOf(ctx, values).catch(() => undefined)
      const onChain = chain ? (await escrowClient(chain.connection(READ_ONLY_KEY), chain.info).accountBalance(account)).toString() : undefined
      ctx.print(
        [`${account}: ${answer.deposited} deposited, ${answer.settled} settled${onChain === undefined ? "" : `, ${onChain} held on chain`}`, ...answer.events.map((e: any) => `  ${e._tag} ${e.amount ?? e.total} ${e.settlement ?? e.depositor ?? ""} tx ${e.txHash}`)].join("\n"),
        { ...answer, onChain }
      )
      return 0
    }
  },
  {
    name: "verify-result",
    args: "<resultId>",
    summary:
      "Parameter Tracker: fetch GET /results/<id>/proof and check every event of the result against the chain — its content hash, its Merkle proof against the root EventAnchor holds, and the signature of the command that caused it (trainer, judges). Exit 1 on any problem.",
    options: { ...rpcOption, contract: { type: "string", description: "the EventAnchor address (default: the proof's)" } },
    run: async (ctx, [resultId], values) => {
      if (!resultId) throw new UsageError("verify-result needs <resultId>")
      const answer = (await ctx.reader.get(`/results/${encodeURIComponent(resultId)}/proof`)) as { events: ReadonlyArray<ProvenEvent>; claimedMetrics?: unknown; consensusMetrics?: unknown; verdict?: string }
      const first = answer.events[0]!
      const rpc = (values.rpc as string | undefined) ?? process.env.CHAIN_RPC_URL ?? ctx.deployment().chain.rpc
      const contract = ((values.contract as string | undefined) ?? first.anchor.contract) as Address
      const anchors = await chainClient({ chainId: first.anchor.chainId, rpc, privateKey: READ_ONLY_KEY }, contract).anchors()
      const checks = checkProvenEvents(answer.events, (index) => anchors.find((a) => a.index === index)?.root)
      const ok = checks.every((c) => c.problems.length === 0)
      ctx.print(
        [
          `${resultId}: ${answer.verdict ?? "not decided"}; claimed ${JSON.stringify(answer.claimedMetrics)}, consensus ${JSON.stringify(answer.consensusMetrics)}`,
          ...checks.map((c) => `  ${c.position.padEnd(10)} ${c.type.padEnd(24)} ${c.problems.length === 0 ? "on chain" : "FAILED"}${c.signer ? `, signed by ${c.signer}` : ""}${c.problems.length ? `: ${c.problems.join("; ")}` : ""}`),
          ok ? `all ${checks.length} events proven against ${contract} on chain ${first.anchor.chainId}` : "PROBLEMS found"
        ].join("\n"),
        { resultId, ok, checks }
      )
      return ok ? 0 : 1
    }
  },
  {
    name: "faucet",
    args: "<address | dev key name>",
    summary: "Dev chain only: send an address 1 ETH of gas money and --neura base units (default 10000000) from the genesis holder named in the deployment record.",
    options: { ...rpcOption, neura: { type: "string", description: "Neura base units to send (default 10000000)" } },
    run: async (ctx, [who], values) => {
      if (!who) throw new UsageError("faucet needs <address | dev key name>")
      const address = (/^0x[0-9a-fA-F]{40}$/.test(who) ? who : devKey(who).address) as Address
      const faucetKey = ctx.deployment().chain.faucetKey
      if (!faucetKey) throw new UsageError("the deployment record names no faucet key (only the dev stack's chain has one)")
      const chain = await chainOf(ctx, values)
      const neura = values.neura === undefined ? 10_000_000n : amountOf(values.neura as string, "--neura")
      const treasury = devTreasury(chain.connection(faucetKey as Hex), chain.info)
      await treasury.fund(address, neura)
      const balance = await treasury.escrow.balanceOf(address)
      ctx.print(`sent 1 ETH and ${neura} Neura to ${address}: it holds ${balance} Neura`, { address, neura: neura.toString(), balance: balance.toString(), ether: formatEther(10n ** 18n) })
      return 0
    }
  }
]
