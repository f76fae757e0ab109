import type { Hex } from "viem"
import type { EscrowClient } from "../chain-bridge/settlement/contracts"
import type { DevTreasury } from "../chain-bridge/settlement/treasury"
import type { NeuraClient } from "./client"

/**
 * Wait until the log has recorded at least `amount` deposited into an escrow
 * account (`task:<id>` or `stake:<nodeId>`): the bridge polls the chain and
 * records each `Deposited` log through the API. Polls GET /escrow/:account.
 */
export const depositRecorded = async (client: NeuraClient, account: string, amount: bigint, timeoutMs = 60_000) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const answer = (await client.get(`/escrow/${account}`)) as { deposited: string }
    if (BigInt(answer.deposited) >= amount) return answer
    if (Date.now() > until) throw new Error(`${account}: ${answer.deposited} recorded after ${timeoutMs} ms, waiting for ${amount} (is the chain bridge running?)`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** What the API says about settlement: `chain` with the contracts, or `declared`. */
export const settlementInfo = (client: NeuraClient) =>
  client.get("/settlement") as Promise<
    { mode: "chain"; chainId: number; token: `0x${string}`; escrow: `0x${string}`; registry: `0x${string}`; anchorContract: `0x${string}`; deployedAtBlock: number } | { mode: "declared"; detail: string }
  >

/** The treasury deposits into an account on someone's behalf (stake accounts take anyone's deposit) and waits for the log to record it. */
export const sponsorDeposit = async (client: NeuraClient, treasury: Pick<DevTreasury, "sponsor">, account: string, amount: bigint) => {
  const before = BigInt(((await client.get(`/escrow/${account}`)) as { deposited: string }).deposited)
  await treasury.sponsor(account, amount)
  await depositRecorded(client, account, before + amount)
}

/** A key (any key is a chain account) gets gas and the Neura from the treasury, deposits them with a permit, and waits for the log. */
export const fundAndDeposit = async (client: NeuraClient, treasury: Pick<DevTreasury, "fund">, depositor: Pick<EscrowClient, "address" | "depositWithPermit">, account: string, amount: bigint) => {
  await treasury.fund(depositor.address as Hex, amount)
  await depositor.depositWithPermit(account, amount)
  await depositRecorded(client, account, amount)
}
