import { parseEther, type Address } from "viem"
import { privateKeyToAccount } from "viem/accounts"
import { clientsFor, submitInTurn, type ChainConnection } from "../ChainClient"
import { escrowClient, type SettlementContracts } from "./contracts"

/**
 * The dev chain's treasury: the key that holds Neura's genesis supply (a
 * well-known development key: never on a real chain). It is the dev stack's
 * faucet (`neura faucet`) and sponsors the demo nodes' stake deposits.
 */
export const devTreasury = (connection: ChainConnection, contracts: Pick<SettlementContracts, "token" | "escrow">) => {
  const escrow = escrowClient(connection, contracts)
  const clients = clientsFor(connection)
  const { wallet } = clients
  const account = privateKeyToAccount(connection.privateKey)
  let queue = Promise.resolve() as Promise<unknown>
  // One operation at a time (nonces are kept in turn by submitInTurn): an approve
  // must be spent by its own deposit before another caller's approve replaces it.
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
        await submitInTurn(clients, () => wallet.sendTransaction({ to, value: parseEther(ether), account, chain: wallet.chain }))
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
