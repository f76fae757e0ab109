import { ManagedRuntime } from "effect"
import { EventStoreFromEnv } from "../infra/eventStore"
import { build } from "./app"

/** The command API process: one runtime, one Fastify instance, graceful stop. */
const runtime = ManagedRuntime.make(EventStoreFromEnv("api"))
// Coordinator identities (dispatcher/aggregator) may start and close rounds and add model versions.
const coordinators = (process.env.COORDINATOR_ADDRESSES ?? "").split(",").map((a) => a.trim()).filter(Boolean)
const app = build(runtime, { logger: process.env.API_LOG !== "false", coordinators })
const port = Number(process.env.API_PORT ?? 8080)
const host = process.env.API_HOST ?? "127.0.0.1"

const stop = async () => {
  await app.close()
  await runtime.dispose()
  process.exit(0)
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)

await runtime.runPromise(runtime.contextEffect as never).catch(async (e: unknown) => {
  console.error("cannot start: event store unavailable:", e)
  process.exit(1)
})
await app.listen({ port, host })
