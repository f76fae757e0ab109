import { connect } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { httpTransport, NeuraClient } from "../../commands/client"
import { chainClient, deployEventAnchor } from "../../chain-bridge/ChainClient"
import { DEV_PRIVATE_KEYS, serveJsonRpc, startLocalChain } from "../../chain-bridge/localChain"
import { loadTf } from "../../infra/ml/tf"
import { provisionAll } from "../../infra/nats/provision"
import { objectStoreWeights } from "../../infra/weights/WeightsStore"
import { createDigitsTask, optIn } from "../../nodes/workloadTask"
import { devKey } from "../../commands/samples"
import { honestNodes, taskEvents } from "../support/networkHarness"
import { freePort, startNatsServer, type NatsServer } from "../support/natsServer"
import { processGroup } from "../../infra/processGroup"

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

describe("node processes (nodes/*/main.ts)", () => {
  it("run a task end to end as separate processes and stop cleanly", async () => {
    const group = processGroup(server.url)
    const { started, launch } = group
    const nc = await connect({ servers: server.url })
    await provisionAll(nc)
    const chain = await startLocalChain()
    const rpc = await serveJsonRpc(chain)
    const contract = await deployEventAnchor({ chainId: chain.chainId, rpc: rpc.url, privateKey: DEV_PRIVATE_KEYS[0] })
    const apiUrl = await group.api(await freePort(), {
      // The bridge records anchors through the API, which checks them against this contract.
      BRIDGE_ADDRESSES: devKey("p-bridge").address,
      CHAIN_RPC_URL: rpc.url,
      CHAIN_ID: String(chain.chainId),
      ANCHOR_CONTRACT: contract
    })
    try {
      const common = { API_URL: apiUrl }
      // validator3 also watches results through their challenge window (NODE_WATCH), following the log through the API.
      // trainerA trains with PyTorch (NEURA_EXECUTOR) and the validators replay its results with it: their
      // processes load TF.js on the event loop only for that work (infra/ml/tf.ts deferredTf).
      const withTorch = (nodeId: string, role: string) => nodeId === "trainerA" || role === "validator"
      const nodes = honestNodes.map((n) => ({
        ...n,
        nodeId: `p-${n.nodeId}`,
        key: devKey(`p-${n.nodeId}`),
        watch: n.nodeId === "validator3",
        ...(withTorch(n.nodeId, n.role) ? { executor: "pytorch" as const } : {})
      }))
      group.network(apiUrl, nodes)
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
      // Each trainer's proof names its framework; the validators judged both kinds.
      const backends = Object.fromEntries(events.filter((e) => e.type === "ResultSubmitted").map((e) => [e.data.nodeId, e.data.proof.backend]))
      expect(backends["p-trainerA"]).toMatch(/^pytorch-1\.13/)
      expect(backends["p-trainerB"]).toMatch(/^wasm/)

      // The watcher process re-executed a segment of verified results inside their window.
      const watcher = started.find((s) => s.name === "p-validator3")!
      const watchedUntil = Date.now() + 30_000
      while (!/watched PROC1-r\d+-s\d+-p-trainer[AB]: segment \d+ reproduces/.test(watcher.output.join(""))) {
        if (Date.now() > watchedUntil) throw new Error(`the watcher checked nothing:\n${watcher.output.join("").slice(-1500)}`)
        await new Promise((r) => setTimeout(r, 250))
      }

      // The bridge anchors the log, and its anchors reach the log through the API.
      const anchors = chainClient({ chainId: chain.chainId, rpc: chain.request, privateKey: DEV_PRIVATE_KEYS[1] }, contract)
      const anchoredUntil = Date.now() + 20_000
      while ((await anchors.lastSeq()) === 0 || (await owner.get("/events?aggregate=anchor&limit=10")).events.length === 0) {
        if (Date.now() > anchoredUntil) throw new Error(bridge.output.join(""))
        await new Promise((r) => setTimeout(r, 200))
      }
      const recorded = (await owner.get("/events?aggregate=anchor&limit=10")).events[0]
      expect(recorded.metadata.actor).toBe(devKey("p-bridge").address)

      // Node processes log JSON records (pino), one per line, naming their component.
      const trainerLines = started.find((s) => s.name === "p-trainerA")!.output.join("").trim().split("\n").map((l) => JSON.parse(l))
      expect(trainerLines.some((r) => r.component === "trainer" && r.process === "p-trainerA" && /PROC1 r\d+ s\d+: trained/.test(r.msg))).toBe(true)

      // Every node process serves its own Prometheus metrics, at the port it logged.
      const scrape = async (name: string) => {
        const url = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(started.find((s) => s.name === name)!.output.join(""))?.[1]
        expect(url, name).toBeDefined()
        return (await fetch(url!)).text()
      }
      expect(await scrape("p-trainerA")).toMatch(/^neuralink_training_samples_total\{workload="digits"\} [1-9]\d*/m)
      expect(await scrape("p-trainerA")).toMatch(/^neuralink_training_samples_per_second\{node="p-trainerA"\} \d/m)
      expect(await scrape("p-trainerA")).toMatch(/^neuralink_work_queue_pending\{node="p-trainerA"\} \d+/m)
      expect(await scrape("p-validator1")).toMatch(/^neuralink_validator_verdicts_total\{verdict="accept"\} [1-9]/m)
      expect(await scrape("bridge")).toMatch(/^neuralink_anchor_gas_count [1-9]/m)

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
      const codes = await Promise.all(started.map((s) => group.exitCode(s.child)))
      expect(codes, started.map((s) => `${s.name}: ${s.output.join("").slice(-300)}`).join("\n")).toEqual(started.map(() => 0))
      // The server ended those streams rather than waiting on them.
      for (const reader of sse) {
        for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break
      }
    } finally {
      group.killAll()
      rpc.server.close()
      await nc.close()
    }
  }, 180_000)
})
