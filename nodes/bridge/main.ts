import { Layer, ManagedRuntime } from "effect"
import type { Address, Hex } from "viem"
import { startBridge } from "../../chain-bridge/bridge"
import { chainClient, deployEventAnchor } from "../../chain-bridge/ChainClient"
import { apiAnchorRecorder } from "../../commands/anchorRecorder"
import { EventStore } from "../../domain/ports"
import { EventStoreFromEnv } from "../../infra/eventStore"
import { apiClient, nodeEnvironment, runNodeMain } from "../infra/nodeProcess"

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
runNodeMain(
  "bridge",
  async () => {
    const rpc = process.env.CHAIN_RPC_URL
    const privateKey = process.env.BRIDGE_PRIVATE_KEY as Hex | undefined
    if (!rpc || !privateKey) throw new Error("CHAIN_RPC_URL and BRIDGE_PRIVATE_KEY are required")
    const env = nodeEnvironment()
    const connection = { chainId: Number(process.env.CHAIN_ID ?? 31337), rpc, privateKey }
    let contract = process.env.ANCHOR_CONTRACT as Address | undefined
    if (!contract && process.env.DEPLOY_ANCHOR === "true") {
      contract = await deployEventAnchor(connection)
      console.log(`[bridge] deployed EventAnchor at ${contract}`)
    }
    if (!contract) throw new Error("ANCHOR_CONTRACT is required (or DEPLOY_ANCHOR=true)")
    const runtime = ManagedRuntime.make(EventStoreFromEnv("bridge") as Layer.Layer<EventStore, unknown>)
    const store = await runtime.runPromise(EventStore.useSync((s) => s))
    const bridge = await startBridge({
      store,
      chain: chainClient(connection, contract),
      record: apiAnchorRecorder(apiClient(env.apiUrl, env.key)),
      batchSize: Number(process.env.BATCH_SIZE ?? 1000),
      maxWaitMs: Number(process.env.BATCH_MAX_WAIT_MS ?? 5000),
      log: (l) => console.log(`[bridge] ${l}`)
    })
    console.log(`[bridge] anchoring the log to ${contract} on chain ${connection.chainId}, recording as ${env.key.address}`)
    return { runtime, bridge }
  },
  async ({ runtime, bridge }) => {
    await bridge.stop()
    await runtime.dispose()
  }
)
