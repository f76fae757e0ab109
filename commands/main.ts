import { connect } from "@nats-io/transport-node"
import { ManagedRuntime } from "effect"
import { objectStoreSnapshots } from "../projections/snapshots"
import { EventStoreFromEnv } from "../infra/eventStore"
import { build } from "./app"
import { objectStoreWeights } from "../infra/weights/WeightsStore"
import { natsOptionsFromEnv } from "../infra/nats/NatsClient"
import { chainClient } from "../chain-bridge/ChainClient"
import { DEFAULT_CHAIN_ID } from "../infra/identity/signature"

/** The command API process: one runtime, one Fastify instance, graceful stop. */
const runtime = ManagedRuntime.make(EventStoreFromEnv("api"))
// Coordinator identities (dispatcher/aggregator) may start and close rounds and add model versions.
const coordinators = (process.env.COORDINATOR_ADDRESSES ?? "").split(",").map((a) => a.trim()).filter(Boolean)
// The object stores: content-addressed weights (the API is their only writer) and the
// read-model checkpoints in `snapshots` (SNAPSHOTS=off rebuilds at every start).
const objectsNats = await connect(natsOptionsFromEnv("neuralink-api-objects"))
// The chain bridge's identities, and the EventAnchor contract their RecordAnchor commands are checked against.
const bridges = (process.env.BRIDGE_ADDRESSES ?? "").split(",").map((a) => a.trim()).filter(Boolean)
const chainId = Number(process.env.CHAIN_ID ?? DEFAULT_CHAIN_ID)
const anchorChains =
  process.env.CHAIN_RPC_URL && process.env.ANCHOR_CONTRACT
    ? // Read-only use: the key signs nothing.
      [chainClient({ chainId, rpc: process.env.CHAIN_RPC_URL, privateKey: `0x${"01".repeat(32)}` }, process.env.ANCHOR_CONTRACT as `0x${string}`)]
    : []
// Admin identities: may rebuild the read models (POST /admin/projections/rebuild).
const admins = (process.env.ADMIN_ADDRESSES ?? "").split(",").map((a) => a.trim()).filter(Boolean)
const app = build(runtime, {
  logger: process.env.API_LOG !== "false",
  coordinators,
  admins,
  bridges,
  anchorChains,
  chainId,
  weights: await objectStoreWeights(objectsNats),
  ...(process.env.SNAPSHOTS === "off" ? {} : { snapshots: await objectStoreSnapshots(objectsNats) })
})
const port = Number(process.env.API_PORT ?? 8080)
const host = process.env.API_HOST ?? "127.0.0.1"

const stop = async () => {
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
await app.listen({ port, host })
