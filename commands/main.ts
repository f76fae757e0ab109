import { connect } from "@nats-io/transport-node"
import { ManagedRuntime } from "effect"
import { objectStoreSnapshots } from "../projections/snapshots"
import { EventStoreFromEnv } from "../infra/eventStore"
import { build } from "./app"
import { objectStoreWeights } from "../infra/weights/WeightsStore"
import { DATASETS_BUCKET } from "../infra/nats/provision"
import { natsOptionsFromEnv } from "../infra/nats/NatsClient"
import { chainClient, READ_ONLY_KEY } from "../chain-bridge/ChainClient"
import { escrowClient } from "../chain-bridge/settlement/contracts"
import { orExit, readConfig } from "../infra/config"
import { apiSettings } from "./settings"

const config = orExit(() => readConfig(apiSettings))

/** The command API process: one runtime, one Fastify instance, graceful stop. */
const runtime = ManagedRuntime.make(EventStoreFromEnv("api", true))
// The object stores: content-addressed weights (the API is their only writer) and the
// read-model checkpoints in `snapshots` (SNAPSHOTS=off rebuilds at every start).
const objectsNats = await connect(natsOptionsFromEnv("neuralink-api-objects"))
// The chain the bridge's commands are checked against: read only (the key signs nothing).
const readOnly = config.CHAIN_RPC_URL ? { chainId: config.CHAIN_ID, rpc: config.CHAIN_RPC_URL, privateKey: READ_ONLY_KEY } : undefined
// The EventAnchor contract RecordAnchor is checked against.
const anchorChains = readOnly && config.ANCHOR_CONTRACT ? [chainClient(readOnly, config.ANCHOR_CONTRACT)] : []
// On-chain settlement (optional): deposits and settlements are checked against NeuraEscrow.
const settlement =
  readOnly && config.ESCROW_CONTRACT && config.TOKEN_CONTRACT && config.REGISTRY_CONTRACT && config.ANCHOR_CONTRACT
    ? (() => {
        const contracts = {
          anchorContract: config.ANCHOR_CONTRACT,
          token: config.TOKEN_CONTRACT,
          escrow: config.ESCROW_CONTRACT,
          registry: config.REGISTRY_CONTRACT,
          deployedAtBlock: config.DEPLOYED_AT_BLOCK
        }
        return { chainId: config.CHAIN_ID, contracts, escrow: escrowClient(readOnly, contracts) }
      })()
    : undefined
if (config.ESCROW_CONTRACT && !settlement) {
  console.error("ESCROW_CONTRACT needs CHAIN_RPC_URL, ANCHOR_CONTRACT, TOKEN_CONTRACT and REGISTRY_CONTRACT too")
  process.exit(2)
}
const app = build(runtime, {
  ...(settlement ? { settlement } : {}),
  logger: config.API_LOG,
  coordinators: config.COORDINATOR_ADDRESSES,
  admins: config.ADMIN_ADDRESSES,
  bridges: config.BRIDGE_ADDRESSES,
  anchorChains,
  chainId: config.CHAIN_ID,
  protocol: config.PROTOCOL,
  weights: await objectStoreWeights(objectsNats),
  shards: await objectStoreWeights(objectsNats, DATASETS_BUCKET),
  ...(config.SNAPSHOTS === "off" ? {} : { snapshots: await objectStoreSnapshots(objectsNats) })
})

const stop = async () => {
  // Drain in order; during a NATS outage the drain cannot finish, so it is
  // bounded: a stop that did not drain exits 1 (never a silent hang).
  const bound = setTimeout(() => {
    console.error("[api] shutdown did not drain in 15 s (NATS unreachable?); exiting 1")
    process.exit(1)
  }, 15_000)
  bound.unref()
  await app.close()
  await runtime.dispose()
  await objectsNats.drain()
  process.exit(0)
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)

await runtime.runPromise(runtime.contextEffect as never).catch(async (e: unknown) => {
  console.error("cannot start: event store unavailable:", e)
  process.exit(1)
})
await app.listen({ port: config.API_PORT, host: config.API_HOST })
