import { parseEther, type Address, type Hex } from "viem"
import { privateKeyToAccount } from "viem/accounts"
import { clientsFor, type ChainConnection } from "../ChainClient"
import { escrowClient, type SettlementContracts } from "./contracts"

/**
 * The dev chain's treasury: the key that holds Neura's genesis supply (a
 * well-known development key: never on a real chain). It is the dev stack's
 * faucet (`neura faucet`) and sponsors the demo nodes' stake deposits.
 */
export const devTreasury = (connection: ChainConnection, contracts: Pick<SettlementContracts, "token" | "escrow">) => {
  const escrow = escrowClient(connection, contracts)
  const { wallet } = clientsFor(connection)
  const account = privateKeyToAccount(connection.privateKey)
  let queue = Promise.resolve() as Promise<unknown>
  // One transaction at a time: the treasury's nonce is shared by every caller.
  const serial = <A>(f: () => Promise<A>): Promise<A> => {
    const next = queue.then(f, f)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    escrow,
    /** Gas money and Neura for an address. */
    fund: (to: Address, neura: bigint, ether = "1") =>
      serial(async () => {
        await wallet.sendTransaction({ to, value: parseEther(ether), account, chain: wallet.chain })
        if (neura > 0n) await escrow.transfer(to, neura)
      }),
    /** Deposit into an account on someone's behalf (stake accounts accept any depositor). */
    sponsor: (accountName: string, amount: bigint) =>
      serial(async () => {
        await escrow.approve(amount)
        return escrow.deposit(accountName, amount)
      })
  }
}
export type DevTreasury = ReturnType<typeof devTreasury>
