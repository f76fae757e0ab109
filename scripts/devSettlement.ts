import { bytesToHex, type Hex } from "viem"
import type { ChainConnection } from "../chain-bridge/ChainClient"
import { escrowClient, type SettlementContracts } from "../chain-bridge/settlement/contracts"
import { registryClient } from "../chain-bridge/settlement/registry"
import { startSettlementBridge } from "../chain-bridge/settlement/settlementBridge"
import type { DevTreasury } from "../chain-bridge/settlement/treasury"
import { httpTransport, NeuraClient } from "../commands/client"
import { fundAndDeposit, sponsorDeposit } from "../commands/deposits"
import { devKey, SAMPLE_STAKE } from "../commands/samples"
import { apiSettlementRecorder } from "../commands/settlementRecorder"
import type { EventStore } from "../domain/ports"
import type { NodeSpec } from "../nodes/localNetwork"

/**
 * The dev stack's on-chain settlement: the settlement bridge (deposits,
 * settlements, Model Objects), and the demo's backing — the owner deposits
 * its budget with a permit, the treasury sponsors the nodes' stake, and once
 * the task has settled every payee's claim is sent with its proof.
 */
export const startDevSettlement = async (o: {
  readonly chainConnection: ChainConnection
  readonly contracts: SettlementContracts
  readonly treasury: DevTreasury
  readonly apiUrl: string
  readonly store: EventStore["Service"]
  readonly log: (line: string) => void
}) => {
  const { chainConnection, contracts, treasury } = o
  const bridge = await startSettlementBridge({
    store: o.store,
    escrow: escrowClient(chainConnection, contracts),
    registry: registryClient(chainConnection, contracts.registry),
    record: apiSettlementRecorder(new NeuraClient(httpTransport(o.apiUrl), devKey("bridge"))),
    fromBlock: contracts.deployedAtBlock,
    log: o.log
  })
  const api = new NeuraClient(httpTransport(o.apiUrl), devKey("dev"))
  /** The treasury deposits a node's stake on its behalf and waits for the log to record it. */
  const sponsorStake = (nodeId: string, amount: bigint) => sponsorDeposit(api, treasury, `stake:${nodeId}`, amount)
  const backing = {
    task: async (taskId: string, budget: bigint) => {
      // The owner is an Ethereum account like any key: the faucet gives it gas and Neura, it deposits with a permit.
      const owner = escrowClient({ ...chainConnection, privateKey: bytesToHex(devKey("owner").secretKey) }, contracts)
      await fundAndDeposit(api, treasury, owner, `task:${taskId}`, budget)
    },
    stakes: async (nodes: ReadonlyArray<NodeSpec>) => {
      for (const n of nodes) await sponsorStake(n.nodeId, SAMPLE_STAKE)
    },
    settled: async (taskId: string, say: (line: string) => void) => {
      const name = `settle:task:${taskId}`
      let posted: { claims: ReadonlyArray<{ payee: string; amount: string }>; root: string; txHash: string } | undefined
      for (let i = 0; i < 600 && !posted; i++) {
        posted = await api.get(`/settlements/${name}`).catch(() => undefined)
        if (!posted) await new Promise((r) => setTimeout(r, 100))
      }
      if (!posted) throw new Error(`${name} was not settled on chain in 60 s`)
      say(`settled on chain: one Merkle root ${posted.root.slice(0, 10)}… for ${posted.claims.length} payees (tx ${posted.txHash.slice(0, 10)}…)`)
      // Anyone may send a claim; the Neura go to the payee. The treasury pays the gas here.
      for (const c of posted.claims) {
        const claim = await api.get(`/settlements/${name}/claims/${c.payee}`)
        await treasury.escrow.claim(claim.settlementId, c.payee as Hex, BigInt(c.amount), claim.proof)
      }
      const held = await Promise.all(posted.claims.map(async (c) => (await treasury.escrow.balanceOf(c.payee as Hex)) >= BigInt(c.amount)))
      say(`every payee claimed with its proof: ${held.filter(Boolean).length}/${posted.claims.length} hold their Neura on chain; unclaimed left in escrow: ${await treasury.escrow.unclaimed()}`)
    }
  }
  return { bridge, backing, sponsorStake, stop: () => bridge.stop() }
}
