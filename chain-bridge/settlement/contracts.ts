import { parseSignature, type Address, type Hex } from "viem"
import { ChainUnavailable, clientsFor, deployContract, deployEventAnchor, guard, sendContractCall, type ChainConnection } from "../ChainClient"
import { modelRegistryAbi, modelRegistryBytecode } from "../contracts/ModelRegistry.artifact"
import { neuraEscrowAbi, neuraEscrowBytecode } from "../contracts/NeuraEscrow.artifact"
import { neuraTokenAbi, neuraTokenBytecode } from "../contracts/NeuraToken.artifact"
import { accountIdOf } from "./claimsTree"

/** Where the network's contracts are on one chain (the deployment record's `chain`). */
export interface SettlementContracts {
  readonly anchorContract: Address
  readonly token: Address
  readonly escrow: Address
  readonly registry: Address
  readonly deployedAtBlock: number
}

/**
 * Deploy the four contracts: EventAnchor (the log's roots), NeuraToken (the
 * whole supply to `genesis`), NeuraEscrow and ModelRegistry, with the
 * deploying key as the only anchorer, settler and mirror (the bridge's key).
 */
export const deployNetworkContracts = async (connection: ChainConnection, genesis: { readonly holder: Address; readonly supply: bigint }): Promise<SettlementContracts> => {
  const { account } = clientsFor(connection)
  const anchorContract = await deployEventAnchor(connection)
  const token = await deployContract(connection, neuraTokenAbi, neuraTokenBytecode, [genesis.holder, genesis.supply])
  const escrow = await deployContract(connection, neuraEscrowAbi, neuraEscrowBytecode, [token.address, account.address])
  const registry = await deployContract(connection, modelRegistryAbi, modelRegistryBytecode, [account.address])
  return { anchorContract, token: token.address, escrow: escrow.address, registry: registry.address, deployedAtBlock: token.block }
}

export interface OnChainDeposit {
  readonly account: string
  readonly depositor: Address
  readonly amount: bigint
  readonly txHash: Hex
  readonly logIndex: number
  readonly blockNumber: number
}

/**
 * NeuraToken and NeuraEscrow through viem, as one key sees them: a user
 * depositing (approve + deposit, or permit + deposit in one transaction), a
 * payee claiming, the bridge settling, the API reading deposits and
 * settlements to check the bridge's claims.
 */
export const escrowClient = (connection: ChainConnection, contracts: Pick<SettlementContracts, "token" | "escrow">) => {
  const clients = clientsFor(connection)
  const { wallet, reader, account } = clients
  const write = (functionName: string, args: readonly unknown[], address: Address = contracts.escrow, abi: readonly unknown[] = neuraEscrowAbi) =>
    guard(async () => {
      const { txHash, blockNumber, gasUsed } = await sendContractCall(clients, { address, abi, functionName, args }, (tx) => new ChainUnavailable({ reason: `transaction ${tx} reverted` }))
      return { txHash, blockNumber, gasUsed }
    })
  const read = <A>(functionName: string, args: readonly unknown[], address: Address = contracts.escrow, abi: readonly unknown[] = neuraEscrowAbi) =>
    guard(() => reader.readContract({ address, abi: abi as never, functionName: functionName as never, args: args as never }) as Promise<A>)
  const decodeDeposit = (log: { args: { account?: string; from?: Address; amount?: bigint }; transactionHash: Hex | null; logIndex: number | null; blockNumber: bigint | null }): OnChainDeposit => ({
    account: log.args.account!,
    depositor: log.args.from!.toLowerCase() as Address,
    amount: log.args.amount!,
    txHash: log.transactionHash!,
    logIndex: log.logIndex!,
    blockNumber: Number(log.blockNumber)
  })
  return {
    address: account.address,
    chainId: connection.chainId,
    escrow: contracts.escrow,
    balanceOf: (owner: Address) => read<bigint>("balanceOf", [owner], contracts.token, neuraTokenAbi),
    transfer: (to: Address, amount: bigint) => write("transfer", [to, amount], contracts.token, neuraTokenAbi),
    approve: (amount: bigint) => write("approve", [contracts.escrow, amount], contracts.token, neuraTokenAbi),
    deposit: (accountName: string, amount: bigint) => write("deposit", [accountName, amount]),
    /** Sign an EIP-2612 permit for the escrow and deposit with it: one transaction, no approve. */
    depositWithPermit: async (accountName: string, amount: bigint, deadline = BigInt(Math.floor(Date.now() / 1000) + 3600)) => {
      const nonce = await read<bigint>("nonces", [account.address], contracts.token, neuraTokenAbi)
      const signature = await wallet.signTypedData({
        account,
        domain: { name: "Neura", version: "1", chainId: connection.chainId, verifyingContract: contracts.token },
        types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
        primaryType: "Permit",
        message: { owner: account.address, spender: contracts.escrow, value: amount, nonce, deadline }
      })
      const { r, s, v, yParity } = parseSignature(signature)
      return write("depositWithPermit", [accountName, amount, deadline, Number(v ?? BigInt(yParity + 27)), r, s])
    },
    /** Deposited and not yet debited, for an account name. */
    accountBalance: (accountName: string) => read<bigint>("balanceOf", [accountIdOf(accountName)]),
    unclaimed: () => read<bigint>("unclaimed", []),
    escrowTokenBalance: () => read<bigint>("balanceOf", [contracts.escrow], contracts.token, neuraTokenAbi),
    deposits: (fromBlock = 0n) =>
      guard(async () => (await reader.getContractEvents({ address: contracts.escrow, abi: neuraEscrowAbi, eventName: "Deposited", fromBlock })).map((l) => decodeDeposit(l as never))),
    /** The Deposited log at (txHash, logIndex) emitted by this escrow contract, or undefined. */
    depositAt: (txHash: Hex, logIndex: number) =>
      guard(async () => {
        const receipt = await reader.getTransactionReceipt({ hash: txHash }).catch(() => undefined)
        const log = receipt?.logs.find((l) => l.logIndex === logIndex && l.address.toLowerCase() === contracts.escrow.toLowerCase())
        if (!log) return undefined
        const [decoded] = (await reader.getContractEvents({ address: contracts.escrow, abi: neuraEscrowAbi, eventName: "Deposited", blockHash: log.blockHash! } as never)).filter(
          (l: { logIndex: number | null; transactionHash: Hex | null }) => l.logIndex === logIndex && l.transactionHash === txHash
        )
        return decoded ? decodeDeposit(decoded as never) : undefined
      }),
    settlementOf: (settlementId: Hex) =>
      guard(async () => {
        const [root, total] = (await reader.readContract({ address: contracts.escrow, abi: neuraEscrowAbi, functionName: "settlements", args: [settlementId] })) as readonly [Hex, bigint, bigint]
        if (/^0x0+$/.test(root)) return undefined
        const [log] = await reader.getContractEvents({ address: contracts.escrow, abi: neuraEscrowAbi, eventName: "Settled", args: { settlementId }, fromBlock: 0n })
        const debits = (log!.args.accountIds ?? []).map((accountId, i) => ({ accountId: accountId as Hex, amount: log!.args.debits![i]! }))
        return { root, total, burned: log!.args.burned!, debits, txHash: log!.transactionHash!, blockNumber: Number(log!.blockNumber) }
      }),
    settle: (settlementId: Hex, root: Hex, total: bigint, burned: bigint, debits: ReadonlyArray<{ readonly account: string; readonly amount: bigint }>) =>
      write("settle", [settlementId, root, total, burned, debits.map((d) => accountIdOf(d.account)), debits.map((d) => d.amount)]),
    claim: (settlementId: Hex, payee: Address, amount: bigint, proof: ReadonlyArray<Hex>) => write("claim", [settlementId, payee, amount, [...proof]])
  }
}
export type EscrowClient = ReturnType<typeof escrowClient>
