import { startPytorchExecutor } from "../../infra/ml/externalExecutor"
import { shardLibrary, type DataLibrary } from "./dataLibrary"
import { DATASETS_BUCKET } from "../../infra/nats/provision"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Effect, Exit, Fiber } from "effect"
import { ApiError, httpTransport, NeuraClient } from "../../commands/client"
import { keyPairFromSecret, type KeyPair } from "../../infra/identity/signature"
import { objectStoreWeights, splitWeightsStore, type WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { apiWeightsWriter } from "../../commands/weightsClient"
import { devKey } from "../../infra/identity/devKeys"
import { natsOptionsFromEnv, watchConnection } from "../../infra/nats/NatsClient"
import { createServer } from "node:http"
import { flag, ConfigInvalid, hex32, integer, orExit, readConfig, text, url } from "../../infra/config"
import { registry } from "../../infra/metrics"
import { componentLog, jsonLog } from "../../infra/log"
import { SAMPLE_STAKE } from "../../commands/samples"
import { startAutoJoin } from "./autoJoin"

/** Set once a stop signal arrived: a connection closing then is expected. */
let stopping = false

/** This process's JSON log (stdout), named by its node id (infra/log.ts). */
const processLogger = jsonLog(process.env.NODE_ID ?? "node")
/** A component's line logger in this node process: `say(line)`, `say.error(line, error)`. */
export const processLog = (component: string) => componentLog(processLogger, component)

/**
 * What every node process reads from its environment (validated at start, a
 * clear message names a missing or malformed variable): NATS_URL / NATS_USER /
 * NATS_PASSWORD (its NATS identity, `node-<id>` for a trainer or validator),
 * API_URL, NODE_ID, and its key: NODE_SECRET=0x<32 bytes> (or NODE_DEV_KEY=<name>
 * for a dev key derived from a name), NODE_CAPABILITIES.
 */
export const nodeSettings = {
  NODE_ID: text("this node's id", undefined, /^[A-Za-z0-9_-]{1,64}$/),
  NODE_SECRET: hex32("this node's secp256k1 secret key"),
  NODE_DEV_KEY: text("development only: derive the key from this name instead of NODE_SECRET"),
  API_URL: url("the command API", "http://127.0.0.1:8080"),
  NODE_CAPABILITIES: text("comma-separated capabilities", "tfjs"),
  NODE_WATCH: flag("a validator also watches results through their challenge window (nodes/watcher)", false),
  NODE_AUTO_JOIN: flag("join every task created from now on whose validation data is in the datasets bucket (nodes/infra/autoJoin.ts)", false),
  NODE_BEHAVIOUR: text("testing only: how the node misbehaves (trainer: forgeMetrics or forgeRun; validator: lazy)", "honest", /^(honest|forgeMetrics|forgeRun|lazy)$/),
  NEURA_EXECUTOR: text("an external executor: pytorch (a trainer trains with it, a validator replays PyTorch results with it; needs python3-torch)", undefined, /^pytorch$/)
}

export const nodeEnvironment = () => {
  const config = orExit(() => readConfig(nodeSettings, { required: ["NODE_ID"] }))
  const nodeId = config.NODE_ID!
  const key: KeyPair = config.NODE_SECRET
    ? keyPairFromSecret(config.NODE_SECRET)
    : config.NODE_DEV_KEY
      ? devKey(config.NODE_DEV_KEY)
      : orExit(() => {
          throw new ConfigInvalid(["NODE_SECRET is required (or NODE_DEV_KEY for development)"])
        })
  return {
    nodeId,
    key,
    apiUrl: config.API_URL,
    capabilities: config.NODE_CAPABILITIES.split(",").filter(Boolean),
    watch: config.NODE_WATCH,
    autoJoin: config.NODE_AUTO_JOIN,
    behaviour: config.NODE_BEHAVIOUR,
    /** The external executor this node runs (started with the node, stopped with it), if any. */
    executor: async () => (config.NEURA_EXECUTOR === "pytorch" ? { executor: await startPytorchExecutor() } : {}),
    /**
     * The node's NATS connection: it reconnects forever and logs outages; if it
     * ever closes while the process is not stopping, the process exits 1 (never
     * a silent exit 0 that a supervisor would take for a clean stop).
     */
    connectNats: async (): Promise<NatsConnection> => {
      const nc = await connect(natsOptionsFromEnv(`neuralink-${nodeId}`))
      void watchConnection(nc, nodeId).then((error) => {
        if (stopping) return
        processLog("process").error(`NATS connection closed${error ? `: ${error.message}` : ""}; exiting`)
        process.exit(1)
      })
      return nc
    }
  }
}

/** Register this node's key once (an already-registered node is fine). */
export const registerSelf = async (client: NeuraClient, nodeId: string, roles: ReadonlyArray<string>, capabilities: ReadonlyArray<string>) => {
  try {
    await client.command("RegisterNode", { nodeId, publicKey: client.key.publicKey, roles, capabilities }, { commandId: `register-${nodeId}` })
  } catch (e) {
    if (!(e instanceof ApiError && e.problem.code === "NodeAlreadyRegistered")) throw e
  }
}

export const apiClient = (apiUrl: string, key: KeyPair) => new NeuraClient(httpTransport(apiUrl), key)

/**
 * A node's weights: read straight from the object store (read-only for
 * nodes), uploaded through the API, the bucket's only writer.
 */
export const nodeWeights = async (nc: NatsConnection, apiUrl: string, key: KeyPair): Promise<WeightsStoreShape> =>
  splitWeightsStore(await objectStoreWeights(nc), apiWeightsWriter(httpTransport(apiUrl), key))

/** The shards of the `datasets` bucket, read directly from NATS (read-only for nodes). */
export const nodeData = async (nc: NatsConnection): Promise<DataLibrary> => shardLibrary(await objectStoreWeights(nc, DATASETS_BUCKET))

/**
 * Run a node until SIGINT/SIGTERM: the resource is acquired, the process
 * waits, and on a signal the release drains it (the item in hand finishes,
 * its ack goes out) before the process exits.
 */
export const runNodeMain = <A>(name: string, acquire: () => Promise<A>, release: (a: A) => Promise<void>) => {
  serveMetrics(name)
  const program = Effect.acquireUseRelease(
    Effect.promise(acquire),
    () => Effect.never,
    (a) => Effect.promise(() => release(a))
  )
  const fiber = Effect.runFork(program)
  const say = processLog(name)
  const stop = () => {
    stopping = true
    say("stopping")
    // The drain needs NATS; during an outage it is bounded (exit 1: it did not drain).
    setTimeout(() => {
      say.error("shutdown did not drain in 15 s (NATS unreachable?); exiting 1")
      process.exit(1)
    }, 15_000).unref()
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  fiber.addObserver((exit) => {
    if (Exit.isFailure(exit) && !Exit.hasInterrupts(exit)) {
      say.error("failed", String(exit.cause))
      process.exit(1)
    }
    process.exit(0)
  })
}

/**
 * Every node process serves its Prometheus metrics (training samples/s,
 * verdicts, work-queue depth, anchor gas, Node.js process metrics) at
 * `http://127.0.0.1:<METRICS_PORT>/metrics`; METRICS_PORT=0 (the default)
 * takes any free port, logged at start, so several nodes share a machine.
 */
const metricsSettings = { METRICS_PORT: integer("port of this process's Prometheus /metrics (0: any free port)", 0, 0, 65_535) }
const serveMetrics = (name: string) => {
  const { METRICS_PORT } = orExit(() => readConfig(metricsSettings))
  const server = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end()
      return
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (e: unknown) => response.writeHead(500).end(String(e))
    )
  })
  server.listen(METRICS_PORT, "127.0.0.1", () => {
    const address = server.address()
    processLog(name)(`metrics at http://127.0.0.1:${typeof address === "object" && address ? address.port : METRICS_PORT}/metrics`)
  })
  server.unref()
}

/** NODE_AUTO_JOIN: the node opts into every new task it can get the data of (from the log's head on), bonding the sample stake when short. */
export const autoJoinFromEnv = async (env: { readonly autoJoin: boolean; readonly apiUrl: string; readonly nodeId: string }, client: NeuraClient, role: "trainer" | "validator") => {
  if (!env.autoJoin) return undefined
  return startAutoJoin({ client, apiUrl: env.apiUrl, nodeId: env.nodeId, role, bond: SAMPLE_STAKE, log: processLog("join") })
}
