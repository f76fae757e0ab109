import { Layer, ManagedRuntime } from "effect"
import type { Address } from "viem"
import { startBridge } from "../../chain-bridge/bridge"
import { chainClient, deployEventAnchor } from "../../chain-bridge/ChainClient"
import { apiAnchorRecorder } from "../../commands/anchorRecorder"
import { apiSettlementRecorder } from "../../commands/settlementRecorder"
import { escrowClient } from "../../chain-bridge/settlement/contracts"
import { registryClient } from "../../chain-bridge/settlement/registry"
import { startSettlementBridge } from "../../chain-bridge/settlement/settlementBridge"
import { EventStore } from "../../domain/ports"
import { EventStoreFromEnv } from "../../infra/eventStore"
import { address, flag, hex32, integer, orExit, readConfig, url } from "../../infra/config"
import { processLog, apiClient, nodeEnvironment, runNodeMain } from "../infra/nodeProcess"

/**
 * The chain-bridge process. It reads the log as NATS role `bridge` (read
 * only) and records each anchor through the API as a signed `RecordAnchor`
 * (its key must be in the API's BRIDGE_ADDRESSES; the API checks the anchor
 * against the chain). Environment: CHAIN_RPC_URL, CHAIN_ID,
 * BRIDGE_PRIVATE_KEY (the chain account that sends anchors), ANCHOR_CONTRACT
 * (or DEPLOY_ANCHOR=true to deploy one and print its address), BATCH_SIZE,
 * BATCH_MAX_WAIT_MS, API_URL, NODE_ID + NODE_SECRET (or NODE_DEV_KEY) for its
 * signing identity, and NATS_URL / NATS_USER / NATS_PASSWORD.
 */
/** The bridge's own settings (besides its node identity, nodeSettings). */
export const bridgeSettings = {
  CHAIN_RPC_URL: url("JSON-RPC URL of the chain"),
  CHAIN_ID: integer("chain id", 31337, 1),
  BRIDGE_PRIVATE_KEY: hex32("the chain account that sends anchors"),
  ANCHOR_CONTRACT: address("the EventAnchor contract"),
  DEPLOY_ANCHOR: flag("deploy an EventAnchor when ANCHOR_CONTRACT is unset", false),
  BATCH_SIZE: integer("events per anchor batch", 1000, 1),
  BATCH_MAX_WAIT_MS: integer("longest wait before a partial batch is anchored (ms)", 5000, 1),
  TOKEN_CONTRACT: address("the NeuraToken contract (settlement; with ESCROW_CONTRACT and REGISTRY_CONTRACT)"),
  ESCROW_CONTRACT: address("the NeuraEscrow contract: deposits recorded, settlements posted"),
  REGISTRY_CONTRACT: address("the ModelRegistry contract: Model Objects mirrored"),
  DEPLOYED_AT_BLOCK: integer("the block the settlement contracts were deployed at (deposits are read from it)", 0, 0)
}

runNodeMain(
  "bridge",
  async () => {
    const config = orExit(() => readConfig(bridgeSettings, { required: ["CHAIN_RPC_URL", "BRIDGE_PRIVATE_KEY"] }))
    const env = nodeEnvironment()
    const connection = { chainId: config.CHAIN_ID, rpc: config.CHAIN_RPC_URL!, privateKey: config.BRIDGE_PRIVATE_KEY! }
    let contract: Address | undefined = config.ANCHOR_CONTRACT
    if (!contract && config.DEPLOY_ANCHOR) {
      contract = await deployEventAnchor(connection)
      processLog("bridge")(`deployed EventAnchor at ${contract}`)
    }
    if (!contract) throw new Error("ANCHOR_CONTRACT is required (or DEPLOY_ANCHOR=true)")
    const runtime = ManagedRuntime.make(EventStoreFromEnv("bridge") as Layer.Layer<EventStore, unknown>)
    const store = await runtime.runPromise(EventStore.useSync((s) => s))
    const bridge = await startBridge({
      store,
      chain: chainClient(connection, contract),
      record: apiAnchorRecorder(apiClient(env.apiUrl, env.key)),
      batchSize: config.BATCH_SIZE,
      maxWaitMs: config.BATCH_MAX_WAIT_MS,
      log: processLog("bridge")
    })
    processLog("bridge")(`anchoring the log to ${contract} on chain ${connection.chainId}, recording as ${env.key.address}`)
    // Settlement: deposits recorded, settlements posted, Model Objects mirrored (when the contracts are configured).
    const settlement =
      config.TOKEN_CONTRACT && config.ESCROW_CONTRACT && config.REGISTRY_CONTRACT
        ? await startSettlementBridge({
            store,
            escrow: escrowClient(connection, { token: config.TOKEN_CONTRACT, escrow: config.ESCROW_CONTRACT }),
            registry: registryClient(connection, config.REGISTRY_CONTRACT),
            record: apiSettlementRecorder(apiClient(env.apiUrl, env.key)),
            fromBlock: config.DEPLOYED_AT_BLOCK,
            log: processLog("bridge")
          })
        : undefined
    if (settlement) processLog("bridge")(`settling through ${config.ESCROW_CONTRACT}, mirroring models to ${config.REGISTRY_CONTRACT}`)
    return { runtime, bridge, settlement }
  },
  async ({ runtime, bridge, settlement }) => {
    await settlement?.stop()
    await bridge.stop()
    await runtime.dispose()
  }
)
