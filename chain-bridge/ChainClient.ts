import { Schema } from "effect"
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  custom,
  type Address,
  type EIP1193RequestFn,
  type Hex,
  type Transport
} from "viem"
import { privateKeyToAccount } from "viem/accounts"
import { eventAnchorAbi, eventAnchorBytecode } from "./contracts/EventAnchor.artifact"

/** The contract refused an anchor (not owner, range not contiguous, empty range). */
export class AnchorRejected extends Schema.TaggedError<AnchorRejected>()("AnchorRejected", { reason: Schema.String }) {}
/** The RPC endpoint failed or timed out. Safe to retry. */
export class ChainUnavailable extends Schema.TaggedError<ChainUnavailable>()("ChainUnavailable", { reason: Schema.String }) {}
export type ChainError = AnchorRejected | ChainUnavailable

/** What went wrong, in words: a chain error says it in its reason (its message is empty), any other error in its message. */
export const describeError = (e: unknown): string =>
  e instanceof AnchorRejected
    ? `the contract refused it: ${e.reason}`
    : e instanceof ChainUnavailable
      ? `the chain did not answer: ${e.reason}`
      : e instanceof Error
        ? e.message
        : String(e)

export interface OnChainAnchor {
  readonly index: number
  readonly root: Hex
  readonly fromSeq: number
  readonly toSeq: number
  readonly blockNumber: number
  readonly txHash: Hex
}

/**
 * The bridge's view of EventAnchor, through viem only: any RPC URL (a real
 * testnet, the dev stack's EDR server) or an in-process EIP-1193 transport.
 * Each call fails with ChainError: AnchorRejected (the contract said no, do
 * not retry) or ChainUnavailable (infrastructure, retry).
 */
export interface ChainClient {
  readonly chainId: number
  readonly contract: Address
  readonly lastSeq: () => Promise<number>
  readonly anchor: (root: Hex, fromSeq: number, toSeq: number) => Promise<{ txHash: Hex; blockNumber: number; gasUsed: bigint; index: number }>
  readonly anchors: () => Promise<ReadonlyArray<OnChainAnchor>>
  readonly verify: (index: number, proof: ReadonlyArray<Hex>, leaf: Hex) => Promise<boolean>
}

/** A key for connections that only read (viem's clients want one; it signs nothing). */
export const READ_ONLY_KEY = `0x${"01".repeat(32)}` as Hex

export interface ChainConnection {
  readonly chainId: number
  /** An RPC URL, or an in-process EIP-1193 request function (tests, dev). */
  readonly rpc: string | EIP1193RequestFn
  readonly privateKey: Hex
}

export const clientsFor = (connection: ChainConnection) => {
  const chain = defineChain({
    id: connection.chainId,
    name: `chain-${connection.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: typeof connection.rpc === "string" ? [connection.rpc] : [] } }
  })
  const transport: Transport = typeof connection.rpc === "string" ? http(connection.rpc, { retryCount: 2 }) : custom({ request: connection.rpc }, { retryCount: 0 })
  const account = privateKeyToAccount(connection.privateKey)
  return {
    account,
    wallet: createWalletClient({ account, chain, transport }),
    reader: createPublicClient({ chain, transport, pollingInterval: 50 })
  }
}

export const asChainError = (e: unknown): ChainError => {
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError)
    if (revert instanceof ContractFunctionRevertedError) {
      return new AnchorRejected({ reason: revert.data ? `${revert.data.errorName}(${(revert.data.args ?? []).join(", ")})` : revert.shortMessage })
    }
    return new ChainUnavailable({ reason: e.shortMessage })
  }
  return new ChainUnavailable({ reason: e instanceof Error ? e.message : String(e) })
}

const submitting = new Map<string, Promise<unknown>>()
/**
 * Transactions from one account leave this process one at a time: each is
 * submitted (and so takes its nonce) only after the one before it was. Two
 * senders sharing a key (the anchoring and the settlement bridge share the
 * bridge's) would otherwise both take the same nonce, and one would fail.
 * Only the submission waits its turn, not the receipt.
 */
export const submitInTurn = <A>(clients: ReturnType<typeof clientsFor>, submit: () => Promise<A>): Promise<A> => {
  const key = `${clients.wallet.chain.id}:${clients.account.address}`
  const turn = (submitting.get(key) ?? Promise.resolve()).then(submit, submit)
  submitting.set(key, turn.catch(() => undefined))
  return turn
}

/** Deploy a contract from the connection's key and wait for it: its address and block. */
export const deployContract = async (connection: ChainConnection, abi: readonly unknown[], bytecode: Hex, args: readonly unknown[] = []) => {
  const clients = clientsFor(connection)
  const { wallet, reader, account } = clients
  const hash = await submitInTurn(clients, () => wallet.deployContract({ abi: abi as never, bytecode, args: args as never, account, chain: wallet.chain }))
  const receipt = await reader.waitForTransactionReceipt({ hash })
  if (!receipt.contractAddress) throw new ChainUnavailable({ reason: "deployment produced no contract" })
  return { address: receipt.contractAddress, block: Number(receipt.blockNumber) }
}

/** Deploy EventAnchor; the deployer becomes its owner (the only one who may anchor). */
export const deployEventAnchor = async (connection: ChainConnection): Promise<Address> => (await deployContract(connection, eventAnchorAbi, eventAnchorBytecode)).address

/**
 * A contract call sent as a transaction: simulated first (a refused call
 * fails there with the contract's reason, a custom error, and costs
 * nothing), then sent and waited for. A transaction mined as reverted fails
 * with `reverted(txHash)`. Returns the transaction, its block and gas, and
 * the simulated return value.
 */
export const sendContractCall = async (
  clients: ReturnType<typeof clientsFor>,
  call: { readonly address: Address; readonly abi: readonly unknown[]; readonly functionName: string; readonly args: readonly unknown[] },
  reverted: (txHash: Hex) => ChainError
) => {
  const { request, result } = await clients.reader.simulateContract({ ...call, account: clients.account } as never)
  const txHash = await submitInTurn(clients, () => clients.wallet.writeContract(request as never))
  const receipt = await clients.reader.waitForTransactionReceipt({ hash: txHash })
  if (receipt.status !== "success") throw reverted(txHash)
  return { txHash, blockNumber: Number(receipt.blockNumber), gasUsed: receipt.gasUsed, result: result as unknown }
}

/** Run a chain call; whatever it throws leaves as a ChainError (a contract's refusal, or the chain unavailable). */
export const guard = async <A>(f: () => Promise<A>): Promise<A> => {
  try {
    return await f()
  } catch (e) {
    throw asChainError(e)
  }
}

export const chainClient = (connection: ChainConnection, contract: Address): ChainClient => {
  const clients = clientsFor(connection)
  const { reader } = clients
  return {
    chainId: connection.chainId,
    contract,
    lastSeq: () => guard(async () => Number(await reader.readContract({ address: contract, abi: eventAnchorAbi, functionName: "lastSeq" }))),
    anchor: (root, fromSeq, toSeq) =>
      guard(async () => {
        const sent = await sendContractCall(
          clients,
          { address: contract, abi: eventAnchorAbi, functionName: "anchor", args: [root, BigInt(fromSeq), BigInt(toSeq)] },
          (txHash) => new AnchorRejected({ reason: `transaction ${txHash} reverted` })
        )
        return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed, index: Number(sent.result) }
      }),
    anchors: () =>
      guard(async () => {
        const logs = await reader.getContractEvents({ address: contract, abi: eventAnchorAbi, eventName: "Anchored", fromBlock: 0n })
        return logs.map((log) => ({
          index: Number(log.args.index),
          root: log.args.root!,
          fromSeq: Number(log.args.fromSeq),
          toSeq: Number(log.args.toSeq),
          blockNumber: Number(log.blockNumber),
          txHash: log.transactionHash!
        }))
      }),
    verify: (index, proof, leaf) =>
      guard(() => reader.readContract({ address: contract, abi: eventAnchorAbi, functionName: "verify", args: [BigInt(index), [...proof], leaf] }))
  }
}
