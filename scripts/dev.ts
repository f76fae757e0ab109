import { DATASETS_BUCKET } from "../infra/nats/provision"
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Layer, ManagedRuntime, Schema } from "effect"
import { startBridge } from "../chain-bridge/bridge"
import { chainClient } from "../chain-bridge/ChainClient"
import { deployNetworkContracts, escrowClient } from "../chain-bridge/settlement/contracts"
import { devTreasury } from "../chain-bridge/settlement/treasury"
import { startDevSettlement } from "./devSettlement"
import { privateKeyToAccount } from "viem/accounts"
import { DEV_PRIVATE_KEYS, serveJsonRpc, startLocalChain } from "../chain-bridge/localChain"
import { auditAnchors } from "../chain-bridge/verifyAnchors"
import { readWholeLog } from "../infra/eventStore/wholeLog"
import { RecordedEvent } from "../domain/recordedEvent"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { build } from "../commands/app"
import { protocolSetting } from "../commands/settings"
import { defaultProtocol } from "../domain/protocol"
import { flag, orExit, port, readConfig, text } from "../infra/config"
import { apiAnchorRecorder } from "../commands/anchorRecorder"
import { httpTransport, NeuraClient } from "../commands/client"
import { EventStore } from "../domain/ports"
import { defaultJetStreamConfig, layerJetStream } from "../infra/eventStore/jetStream"
import { startNatsCluster } from "../infra/nats/cluster"
import { NatsClient, natsOptions } from "../infra/nats/NatsClient"
import { nodeUser, passwordEnvironment, SERVICE_ROLES, type NodeRole, type ServiceRole } from "../infra/nats/accounts"
import { objectStoreWeights } from "../infra/weights/WeightsStore"
import type { NodeSpec } from "../nodes/localNetwork"
import { provisionAll } from "../infra/nats/provision"
import { startNatsServer } from "../infra/nats/server"
import { objectStoreSnapshots } from "../projections/snapshots"
import { demoNodes, runDemo } from "./demo"
import { writeDeployment } from "../infra/deployment"
import { jsonLog } from "../infra/log"
import { startAutoJoin } from "../nodes/infra/autoJoin"
import { followLogThroughApi } from "../nodes/watcher/logFollower"
import { devKey, SAMPLE_STAKE } from "../commands/samples"

/**
 * The dev stack in one process tree: nats-server with the repo's nats.conf
 * (persistent store in .data/nats, dev passwords in .data/dev-credentials.json),
 * provisioning as admin, the HTTP API as the `api` role, then the demo.
 */
const ROLES = SERVICE_ROLES
type Role = ServiceRole
// NEURA_DATA_DIR moves the whole stack's state (tests run a stack beside a developer's own).
// Validated like every process's settings: a typo stops the stack with a message naming the variable.
const devSettings = orExit(() =>
  readConfig({
    NEURA_DATA_DIR: text("where the dev stack keeps its state (NATS store, credentials, logs, deployment record)", ".data"),
    NATS_PORT: port("the dev nats-server's client port (a cluster uses it and the next two)", 4222),
    API_PORT: port("the HTTP API's port", 8080),
    CHAIN_PORT: port("the local chain's JSON-RPC port", 8545),
    DEMO_EXIT: flag("stop the stack after the demo", false)
  })
)
const dataDir = devSettings.NEURA_DATA_DIR
mkdirSync(`${dataDir}/nats`, { recursive: true })
const credentialsFile = `${dataDir}/dev-credentials.json`
// Human lines on the console; every line also a JSON record in <data>/logs/dev.jsonl, and the API's
// request log in <data>/logs/api.jsonl (pino: one JSON record per line).
mkdirSync(`${dataDir}/logs`, { recursive: true })
const devLog = jsonLog("dev", `${dataDir}/logs/dev.jsonl`)
const out = (component: string, line: string) => {
  console.log(`[${component}] ${line}`)
  devLog.info({ component }, line)
}
// nats-server parses $VAR values as config tokens: start with a letter so a password never reads as a number.
const newPassword = () => `pw${randomBytes(12).toString("hex")}`
const stored: { roles?: Partial<Record<Role, string>>; nodes?: Record<string, { role: NodeRole; password: string }> } = existsSync(credentialsFile)
  ? JSON.parse(readFileSync(credentialsFile, "utf8"))
  : {}
const credentials: Record<Role, string> = Object.fromEntries(ROLES.map((r) => [r, stored.roles?.[r] ?? newPassword()])) as Record<Role, string>
// Every node has its own NATS user (node-<id>); the dev stack creates them as nodes start.
const nodeAccounts = new Map(Object.entries(stored.nodes ?? {}))
const saveCredentials = () =>
  writeFileSync(credentialsFile, JSON.stringify({ roles: credentials, nodes: Object.fromEntries(nodeAccounts) }, null, 2), { mode: 0o600 })
saveCredentials()
const accounts = () => [...nodeAccounts].map(([nodeId, a]) => ({ nodeId, role: a.role, password: a.password }))

const natsPort = devSettings.NATS_PORT
// `--cluster`: three nats-server members on NATS_PORT..NATS_PORT+2 (stores in
// .data/nats-cluster/n1..n3), the log, work queue and buckets at R3.
const clustered = process.argv.includes("--cluster")
const natsEnv = passwordEnvironment(credentials)
const server = clustered
  ? await startNatsCluster({
      size: 3,
      configFile: "nats.conf",
      ports: [natsPort, natsPort + 1, natsPort + 2],
      storeRoot: `${dataDir}/nats-cluster`,
      auth: { nodes: accounts(), runDir: `${dataDir}/nats-cluster-config` },
      env: natsEnv
    })
  : await startNatsServer({
      private: true,
      configFile: "nats.conf",
      port: natsPort,
      storeDir: `${dataDir}/nats`,
      auth: { nodes: accounts(), runDir: `${dataDir}/nats-config` },
      env: natsEnv
    })
/**
 * Give nodes their NATS users: one configuration reload for all of them, then
 * wait until JetStream answers again (it is briefly unavailable during a reload).
 */
let reloads = Promise.resolve()
const addNodeAccounts = (nodes: ReadonlyArray<{ nodeId: string; role: NodeRole }>) => {
  // One reload at a time: the demo's nodes and nodes registered through the API may ask together.
  const next = reloads.then(() => addNodeAccountsNow(nodes))
  reloads = next.catch(() => undefined)
  return next
}
const addNodeAccountsNow = async (nodes: ReadonlyArray<{ nodeId: string; role: NodeRole }>) => {
  const fresh = nodes.filter((n) => !nodeAccounts.has(n.nodeId))
  if (fresh.length === 0) return
  for (const n of fresh) nodeAccounts.set(n.nodeId, { role: n.role, password: newPassword() })
  saveCredentials()
  await server.setNodeAccounts(accounts())
  const probe = await connect(natsOptions({ servers: server.url, user: "admin", pass: credentials.admin }))
  for (let attempt = 0; ; attempt++) {
    const ok = await jetstreamManager(probe, { timeout: 1000 }).then(() => true, () => false)
    if (ok) break
    if (attempt > 50) throw new Error("JetStream did not come back after the configuration reload")
    await new Promise((r) => setTimeout(r, 100))
  }
  await probe.close()
}
/** A node's own NATS connection (its user must exist: addNodeAccounts). */
const connectNode = async (node: NodeSpec) => {
  await addNodeAccounts([node])
  return connect(natsOptions({ servers: server.url, user: nodeUser(node.nodeId), pass: nodeAccounts.get(node.nodeId)!.password, name: `neuralink-${node.nodeId}` }))
}
out(
  "dev",
  clustered
    ? `3-node nats-server cluster ${server.url} (stores ${dataDir}/nats-cluster, roles: ${ROLES.join(", ")})`
    : `nats-server ${server.url} (store ${dataDir}/nats, roles: ${ROLES.join(", ")})`
)

const admin = await connect(natsOptions({ servers: server.url, user: "admin", pass: credentials.admin }))
// A cluster restarted on its stores elects a leader per stream (4–9 s each) before they answer.
for (let attempt = 1; ; attempt++) {
  const done = await provisionAll(admin, defaultJetStreamConfig, { replicas: clustered ? 3 : 1 }).then(
    () => true,
    (e: unknown) => {
      if (!clustered || attempt >= 30) throw e
      out("dev", `streams not answering yet (${e instanceof Error ? e.message : String(e)}); retrying`)
      return false
    }
  )
  if (done) break
  await new Promise((r) => setTimeout(r, 1_000))
}
await admin.close()
out("dev", `provisioned EVENTS (log) and its writer lease, CMDS (work queue), weights and snapshots (object stores) at R${clustered ? 3 : 1}`)
out("dev", `dev roles' passwords in ${credentialsFile}; reset everything with: rm -rf ${dataDir}`)

// The API is the log's writer: it takes the writer lease, as every API process does (commands/main.ts).
const apiLayer = layerJetStream({ provision: false, writerLease: true }).pipe(
  Layer.provide(NatsClient.layer(natsOptions({ servers: server.url, user: "api", pass: credentials.api, name: "neuralink-api" })))
)
const runtime = ManagedRuntime.make(apiLayer)

// The chain: Hardhat's EDR in-process, served as JSON-RPC; everything else
// talks to it by URL, exactly as it would to a testnet.
const chainPort = devSettings.CHAIN_PORT
const localChain = await startLocalChain()
const rpc = await serveJsonRpc(localChain, chainPort)
const chainConnection = { chainId: localChain.chainId, rpc: rpc.url, privateKey: DEV_PRIVATE_KEYS[0] }
// The bridge's key deploys (and alone may anchor, settle and mirror); the treasury key holds Neura's genesis supply.
const contracts = await deployNetworkContracts(chainConnection, { holder: privateKeyToAccount(DEV_PRIVATE_KEYS[1]).address, supply: 10n ** 27n })
const anchorContract = contracts.anchorContract
const treasury = devTreasury({ ...chainConnection, privateKey: DEV_PRIVATE_KEYS[1] }, contracts)
out("dev", `EVM (EDR) JSON-RPC ${rpc.url}, chain ${localChain.chainId}; EventAnchor ${anchorContract}, NeuraToken ${contracts.token}, NeuraEscrow ${contracts.escrow}, ModelRegistry ${contracts.registry}`)
const bridgeRuntime = ManagedRuntime.make(
  layerJetStream({ provision: false }).pipe(Layer.provide(NatsClient.layer(natsOptions({ servers: server.url, user: "bridge", pass: credentials.bridge, name: "neuralink-bridge" }))))
)
const anchoring = chainClient(chainConnection, anchorContract)
// The dev stack's protocol: the defaults, with a 5 s challenge window so the demo sees results
// become final and trainers paid (PROTOCOL overrides, as for the API process).
const protocol = orExit(() => readConfig({ PROTOCOL: protocolSetting({ ...defaultProtocol, challengeSeconds: 5 }) }))
const apiNats = await connect(natsOptions({ servers: server.url, user: "api", pass: credentials.api, name: "neuralink-api-snapshots" }))
const app = build(runtime, {
  logger: { file: `${dataDir}/logs/api.jsonl` },
  shards: await objectStoreWeights(apiNats, DATASETS_BUCKET),
  coordinators: [devKey("coordinator").address],
  admins: [devKey("admin").address],
  // The bridge records anchors through the API, which checks them against this contract.
  bridges: [devKey("bridge").address],
  anchorChains: [anchoring],
  // Budgets and stake are deposits in NeuraEscrow, recorded by the bridge (docs/settlement.md).
  settlement: { chainId: localChain.chainId, contracts, escrow: escrowClient(chainConnection, contracts) },
  chainId: localChain.chainId,
  protocol: protocol.PROTOCOL,
  weights: await objectStoreWeights(apiNats),
  snapshots: await objectStoreSnapshots(apiNats)
})
const apiPort = devSettings.API_PORT
const apiUrl = await app.listen({ port: apiPort, host: "127.0.0.1" })
out("dev", `API ${apiUrl} (try: curl ${apiUrl}/health)`)
// Where everything is, for the CLI (`neura audit`, `neura verify-anchors`) and anyone auditing.
writeDeployment({
  api: apiUrl,
  nats: { url: server.url, readUser: "bridge", credentialsFile },
  chain: {
    rpc: rpc.url,
    chainId: localChain.chainId,
    anchorContract,
    token: contracts.token,
    escrow: contracts.escrow,
    registry: contracts.registry,
    deployedAtBlock: contracts.deployedAtBlock,
    // A development chain only: the well-known key holding the genesis supply, for `neura faucet`.
    faucetKey: DEV_PRIVATE_KEYS[1]
  },
  writtenAt: new Date().toISOString()
}, `${dataDir}/deployment.json`)
out("dev", `deployment record in ${dataDir}/deployment.json`)
const bridge = await startBridge({
  store: await bridgeRuntime.runPromise(EventStore.useSync((s) => s)),
  chain: anchoring,
  record: apiAnchorRecorder(new NeuraClient(httpTransport(apiUrl), devKey("bridge"))),
  batchSize: 64,
  maxWaitMs: 1000,
  log: (l) => out("bridge", `${l}`)
})
const settlement = await startDevSettlement({ chainConnection, contracts, treasury, apiUrl, store: await bridgeRuntime.runPromise(EventStore.useSync((s) => s)), log: (l) => out("bridge", l) })

let network: { stop(): Promise<void> } | undefined
let joiners: ReadonlyArray<{ stop(): Promise<void> }> = []
let accountsFollower: { stop(): Promise<void> } | undefined
const shutdown = async () => {
  await accountsFollower?.stop()
  await Promise.all(joiners.map((j) => j.stop()))
  await network?.stop()
  await settlement.stop()
  await bridge.stop()
  await bridgeRuntime.dispose()
  await app.close()
  await runtime.dispose()
  rpc.server.close()
  await apiNats.close()
  await server.stop()
}

try {
  const coordinatorNats = await connect(natsOptions({ servers: server.url, user: "coordinator", pass: credentials.coordinator, name: "neuralink-coordinator" }))
  const demo = demoNodes()
  await addNodeAccounts(demo.nodes)
  network = await runDemo({
    apiUrl,
    store: await runtime.runPromise(EventStore.useSync((s) => s)),
    connections: { coordinator: coordinatorNats, node: connectNode },
    log: (component, line, shown) => (shown ? out(component, line) : devLog.info({ component }, line)),
    backing: settlement.backing,
    ...demo
  })
  // Dev only: every node registered through the API gets a NATS user, its password in the
  // credentials file, where `neura node start` finds it (a real deployment provisions users itself).
  accountsFollower = followLogThroughApi(
    new NeuraClient(httpTransport(apiUrl), devKey("dev")),
    (e) => {
      if (e.data._tag !== "NodeRegistered") return
      const { nodeId, roles } = e.data as unknown as { nodeId: string; roles: ReadonlyArray<string> }
      addNodeAccounts([{ nodeId, role: roles.includes("trainer") ? "trainer" : "validator" }]).catch((err: unknown) => out("dev", `could not add a NATS user for ${nodeId}: ${String(err)}`))
    },
    { pollMs: 500 }
  )
  // From now on the demo's nodes join every new task whose data they can get: a task created
  // through the API or the CLI runs on its own.
  joiners = await Promise.all(
    demo.nodes.map((n) => startAutoJoin({
        client: new NeuraClient(httpTransport(apiUrl), n.key),
        apiUrl,
        nodeId: n.nodeId,
        role: n.role,
        bond: SAMPLE_STAKE,
        // Dev only: the treasury sponsors the stake each join bonds.
        deposit: (amount) => settlement.sponsorStake(n.nodeId, amount),
        log: (l) => out("join", l)
      }))
  )
  // Anchor what the demo wrote, then audit the log against the chain.
  await bridge.flushNow()
  const store = await runtime.runPromise(EventStore.useSync((s) => s))
  const log = await runtime.runPromise(readWholeLog(store))
  const events = Schema.encodeSync(Schema.Array(RecordedEvent))(log.events)
  const audit = auditAnchors(events, await anchoring.anchors(), log.foreign.map((f) => f.globalPosition))
  out(
    "dev",
    `anchored through position ${bridge.anchoredThrough} in ${audit.anchorsChecked} batches on chain ${localChain.chainId}; audit ${audit.ok ? "OK" : "FAILED"}: ${audit.eventsCovered} events re-hashed and matched to on-chain roots`
  )
  if (!audit.ok) throw new Error(`anchor audit failed: ${JSON.stringify(audit.problems.slice(0, 5))}`)
} catch (e) {
  console.error("[demo] failed:", e)
  devLog.error({ component: "demo", err: e }, "failed")
  await shutdown()
  process.exit(1)
}

if (devSettings.DEMO_EXIT) {
  await shutdown()
  process.exit(0)
}
out("dev", "stack is up; Ctrl-C to stop")
const stop = () => void shutdown().then(() => process.exit(0))
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
