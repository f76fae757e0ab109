import { spawn, type ChildProcess } from "node:child_process"
import { connect } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { httpTransport, NeuraClient } from "../../commands/client"
import { chainClient, deployEventAnchor } from "../../chain-bridge/ChainClient"
import { DEV_PRIVATE_KEYS, serveJsonRpc, startLocalChain } from "../../chain-bridge/localChain"
import { loadTf } from "../../infra/ml/tf"
import { provisionAll } from "../../infra/nats/provision"
import { objectStoreWeights } from "../../infra/weights/WeightsStore"
import { createDigitsTask, optIn } from "../../nodes/digitsTask"
import { devKey } from "../../commands/samples"
import { taskEvents } from "../support/networkHarness"
import { freePort, startNatsServer, type NatsServer } from "../support/natsServer"

/**
 * The deployable shape: the API and every node are their own OS processes
 * started from their `main.ts`, nodes talking to the API over HTTP, to NATS as itself, and (the
 * bridge) to the chain by JSON-RPC URL. They run a task to completion, then
 * stop cleanly on SIGTERM (exit code 0).
 */
let server: NatsServer
beforeAll(async () => {
  // Its own server: these processes use the default stream names.
  server = await startNatsServer({ private: true })
})
afterAll(async () => {
  await server?.stop()
})

const started: Array<{ name: string; child: ChildProcess; output: Array<string> }> = []
const launch = (name: string, script: string, env: Record<string, string>) => {
  // node itself (not an npx wrapper), so SIGTERM reaches the process's own drain handler.
  const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, NATS_URL: server.url, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  const output: Array<string> = []
  child.stdout!.on("data", (c) => output.push(String(c)))
  child.stderr!.on("data", (c) => output.push(String(c)))
  started.push({ name, child, output })
  return { child, output }
}
const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))))

describe("node processes (nodes/*/main.ts)", () => {
  it("run a task end to end as separate processes and stop cleanly", async () => {
    const nc = await connect({ servers: server.url })
    await provisionAll(nc)
    const apiPort = await freePort()
    const apiUrl = `http://127.0.0.1:${apiPort}`
    const chain = await startLocalChain()
    const rpc = await serveJsonRpc(chain)
    const contract = await deployEventAnchor({ chainId: chain.chainId, rpc: rpc.url, privateKey: DEV_PRIVATE_KEYS[0] })
    launch("api", "commands/main.ts", {
      API_PORT: String(apiPort),
      API_LOG: "false",
      COORDINATOR_ADDRESSES: devKey("p-coordinator").address,
      // The bridge records anchors through the API, which checks them against this contract.
      BRIDGE_ADDRESSES: devKey("p-bridge").address,
      CHAIN_RPC_URL: rpc.url,
      CHAIN_ID: String(chain.chainId),
      ANCHOR_CONTRACT: contract
    })
    const apiUp = Date.now() + 30_000
    while (!(await fetch(`${apiUrl}/health`).then((r) => r.ok).catch(() => false))) {
      if (Date.now() > apiUp) throw new Error(`API did not start: ${started[0]?.output.join("")}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    try {
      const common = { API_URL: apiUrl }
      launch("coordinator", "nodes/dispatcher/main.ts", { ...common, NODE_ID: "coordinator", NODE_DEV_KEY: "p-coordinator" })
      const nodes = [
        { nodeId: "p-trainerA", role: "trainer" as const },
        { nodeId: "p-trainerB", role: "trainer" as const },
        { nodeId: "p-validator1", role: "validator" as const },
        { nodeId: "p-validator2", role: "validator" as const },
        { nodeId: "p-validator3", role: "validator" as const }
      ].map((n) => ({ ...n, key: devKey(n.nodeId) }))
      for (const n of nodes) {
        launch(n.nodeId, `nodes/${n.role}/main.ts`, { ...common, NODE_ID: n.nodeId, NODE_DEV_KEY: n.nodeId })
      }
      const bridge = launch("bridge", "nodes/bridge/main.ts", {
        ...common,
        NODE_ID: "bridge",
        NODE_DEV_KEY: "p-bridge",
        CHAIN_RPC_URL: rpc.url,
        CHAIN_ID: String(chain.chainId),
        BRIDGE_PRIVATE_KEY: DEV_PRIVATE_KEYS[0],
        ANCHOR_CONTRACT: contract,
        BATCH_SIZE: "32",
        BATCH_MAX_WAIT_MS: "500"
      })

      const owner = new NeuraClient(httpTransport(apiUrl), devKey("p-owner"))
      // Nodes register themselves at start; wait until all five did.
      const until = Date.now() + 60_000
      while ((await owner.get("/events?aggregate=node&limit=100")).events.length < nodes.length) {
        if (Date.now() > until) throw new Error(`nodes did not register:\n${started.map((s) => `${s.name}: ${s.output.join("")}`).join("\n")}`)
        await new Promise((r) => setTimeout(r, 250))
      }
      await createDigitsTask({ owner, weights: await objectStoreWeights(nc), tf: await loadTf(), taskId: "PROC1", suffix: "p", target: 0.9, maxRounds: 5 })
      await optIn(owner, "PROC1", nodes)

      let events: Array<any> = []
      const deadline = Date.now() + 90_000
      while (!events.some((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted")) {
        if (Date.now() > deadline) throw new Error(`task did not finish:\n${started.map((s) => `${s.name}: ${s.output.join("").slice(-800)}`).join("\n")}`)
        await new Promise((r) => setTimeout(r, 300))
        events = await taskEvents(owner, "PROC1")
      }
      expect(events.find((e) => e.type === "TaskCompleted")?.data.metrics.accuracy).toBeGreaterThanOrEqual(0.9)
      expect(new Set(events.filter((e) => e.type === "ResultSubmitted").map((e) => e.data.nodeId))).toEqual(new Set(["p-trainerA", "p-trainerB"]))

      // The bridge anchors the log, and its anchors reach the log through the API.
      const anchors = chainClient({ chainId: chain.chainId, rpc: chain.request, privateKey: DEV_PRIVATE_KEYS[1] }, contract)
      const anchoredUntil = Date.now() + 20_000
      while ((await anchors.lastSeq()) === 0 || (await owner.get("/events?aggregate=anchor&limit=10")).events.length === 0) {
        if (Date.now() > anchoredUntil) throw new Error(bridge.output.join(""))
        await new Promise((r) => setTimeout(r, 200))
      }
      const recorded = (await owner.get("/events?aggregate=anchor&limit=10")).events[0]
      expect(recorded.metadata.actor).toBe(devKey("p-bridge").address)

      // SIGTERM: every process drains and exits 0, the API too with live SSE clients connected.
      const sse = await Promise.all(
        [1, 2].map(async () => {
          const response = await fetch(`${apiUrl}/tasks/PROC1/events`)
          const reader = response.body!.getReader()
          await reader.read()
          return reader
        })
      )
      for (const s of started) s.child.kill("SIGTERM")
      const codes = await Promise.all(started.map((s) => exitCode(s.child)))
      expect(codes, started.map((s) => `${s.name}: ${s.output.join("").slice(-300)}`).join("\n")).toEqual(started.map(() => 0))
      // The server ended those streams rather than waiting on them.
      for (const reader of sse) {
        for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break
      }
    } finally {
      for (const s of started) if (s.child.exitCode === null) s.child.kill("SIGKILL")
      rpc.server.close()
      await nc.close()
    }
  }, 180_000)
})
