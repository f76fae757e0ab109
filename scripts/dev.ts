import { connect } from "@nats-io/transport-node"
import { Layer, ManagedRuntime } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { build } from "../commands/app"
import { EventStore } from "../domain/ports"
import { layerJetStream } from "../infra/eventStore/jetStream"
import { NatsClient } from "../infra/nats/NatsClient"
import { provisionAll } from "../infra/nats/provision"
import { startNatsServer } from "../infra/nats/server"
import { runDemo } from "./demo"
import { devKey } from "./samples"

/**
 * The dev stack in one process tree: nats-server with the repo's nats.conf
 * (persistent store in .data/nats, dev passwords in .data/dev-credentials.json),
 * provisioning as admin, the HTTP API as the `api` role, then the demo.
 */
const ROLES = ["admin", "api", "coordinator", "trainer", "validator", "bridge"] as const
mkdirSync(".data/nats", { recursive: true })
const credentialsFile = ".data/dev-credentials.json"
const stored: Partial<Record<(typeof ROLES)[number], string>> = existsSync(credentialsFile) ? JSON.parse(readFileSync(credentialsFile, "utf8")) : {}
const credentials: Record<(typeof ROLES)[number], string> = ROLES.every((r) => stored[r])
  ? (stored as Record<(typeof ROLES)[number], string>)
  : // nats-server parses $VAR values as config tokens: start with a letter so a
  // password never reads as a number.
  (Object.fromEntries(ROLES.map((r) => [r, `pw${randomBytes(12).toString("hex")}`])) as Record<(typeof ROLES)[number], string>)
writeFileSync(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 })

const natsPort = Number(process.env.NATS_PORT ?? 4222)
const server = await startNatsServer({
  private: true,
  configFile: "nats.conf",
  port: natsPort,
  storeDir: ".data/nats",
  env: Object.fromEntries(ROLES.map((r) => [`NATS_${r.toUpperCase()}_PASSWORD`, credentials[r]]))
})
console.log(`[dev] nats-server ${server.url} (store .data/nats, roles: ${ROLES.join(", ")})`)

const admin = await connect({ servers: server.url, user: "admin", pass: credentials.admin })
await provisionAll(admin)
await admin.close()
console.log("[dev] provisioned EVENTS (log), CMDS (work queue), weights (object store)")
console.log(`[dev] dev roles' passwords in ${credentialsFile}; reset everything with: rm -rf .data`)

const apiLayer = layerJetStream({ provision: false }).pipe(
  Layer.provide(NatsClient.layer({ servers: server.url, user: "api", pass: credentials.api, name: "neuralink-api" }))
)
const runtime = ManagedRuntime.make(apiLayer)
const app = build(runtime, { coordinators: [devKey("coordinator").address] })
const apiPort = Number(process.env.API_PORT ?? 8080)
const apiUrl = await app.listen({ port: apiPort, host: "127.0.0.1" })
console.log(`[dev] API ${apiUrl} (try: curl ${apiUrl}/health)`)

const shutdown = async () => {
  await app.close()
  await runtime.dispose()
  await server.stop()
}

try {
  const as = (role: (typeof ROLES)[number]) => connect({ servers: server.url, user: role, pass: credentials[role], name: `neuralink-${role}` })
  const connections = { coordinator: await as("coordinator"), trainer: await as("trainer"), validator: await as("validator") }
  await runDemo({ apiUrl, store: await runtime.runPromise(EventStore.useSync((s) => s)), connections })
  await Promise.all(Object.values(connections).map((nc) => nc.close()))
} catch (e) {
  console.error("[demo] failed:", e)
  await shutdown()
  process.exit(1)
}

if (process.env.DEMO_EXIT === "1") {
  await shutdown()
  process.exit(0)
}
console.log("[dev] stack is up; Ctrl-C to stop")
const stop = () => void shutdown().then(() => process.exit(0))
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
