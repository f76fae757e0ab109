import { bytesToHex, type Address, type Hex } from "viem"
import { privateKeyToAccount } from "viem/accounts"
import { DEV_PRIVATE_KEYS, startLocalChain } from "../../chain-bridge/localChain"
import { deployNetworkContracts, escrowClient, type SettlementContracts } from "../../chain-bridge/settlement/contracts"
import { registryClient } from "../../chain-bridge/settlement/registry"
import { startSettlementBridge } from "../../chain-bridge/settlement/settlementBridge"
import { devTreasury } from "../../chain-bridge/settlement/treasury"
import type { NeuraClient } from "../../commands/client"
import { apiSettlementRecorder } from "../../commands/settlementRecorder"
import type { SettlementChain } from "../../commands/escrowFacts"
import type { EventStore } from "../../domain/ports"
import type { KeyPair } from "../../infra/identity/signature"

/**
 * A real EVM (EDR, in-process) with the network's contracts deployed: the
 * whole Neura supply at a genesis key, the bridge's chain key as the only
 * settler and mirror. `api` is what the API is configured with; `start`
 * runs the settlement bridge against a store and the API.
 */
export const settlementChain = async () => {
  const chain = await startLocalChain()
  const connection = (privateKey: Hex) => ({ chainId: chain.chainId, rpc: chain.request, privateKey })
  const genesis = privateKeyToAccount(DEV_PRIVATE_KEYS[0])
  const bridgeChainKey = DEV_PRIVATE_KEYS[1]
  const contracts: SettlementContracts = await deployNetworkContracts(connection(bridgeChainKey), { holder: genesis.address, supply: 10n ** 30n })
  const treasury = escrowClient(connection(DEV_PRIVATE_KEYS[0]), contracts)
  const dev = devTreasury(connection(DEV_PRIVATE_KEYS[0]), contracts)
  const api: SettlementChain = { chainId: chain.chainId, contracts, escrow: escrowClient(connection(bridgeChainKey), contracts) }
  /** The escrow as one of the network's keys sees it (a node or user key is an Ethereum account too). */
  const as = (key: KeyPair) => escrowClient(connection(bytesToHex(key.secretKey)), contracts)
  return {
    chain,
    contracts,
    api,
    treasury,
    as,
    registry: registryClient(connection(bridgeChainKey), contracts.registry),
    /** The genesis holder as the dev stack's treasury: it funds keys and sponsors deposits. */
    dev,
    /** Give an address Neura (from genesis) and gas money. */
    fund: (to: Address, neura: bigint) => dev.fund(to, neura, "10"),
    startBridge: (store: EventStore["Service"], bridgeClient: NeuraClient, log: (line: string) => void = () => undefined) =>
      startSettlementBridge({
        store,
        escrow: escrowClient(connection(bridgeChainKey), contracts),
        registry: registryClient(connection(bridgeChainKey), contracts.registry),
        record: apiSettlementRecorder(bridgeClient),
        fromBlock: contracts.deployedAtBlock,
        pollMs: 100,
        mirrorWaitMs: 50,
        log
      })
  }
}
export type SettlementTestChain = Awaited<ReturnType<typeof settlementChain>>

export { depositRecorded } from "../../commands/deposits"
