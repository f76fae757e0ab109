import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { Objm } from "@nats-io/obj"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toEventStore } from "../../infra/eventStore/backend"
import { defaultJetStreamConfig, JetStreamLog } from "../../infra/eventStore/jetStream"
import { appendForwards } from "../../infra/metrics"
import { nodeUser, passwordEnvironment, type NodeAccount } from "../../infra/nats/accounts"
import { natsOptions } from "../../infra/nats/NatsClient"
import { provisionAll, WEIGHTS_BUCKET } from "../../infra/nats/provision"
import { objectStoreWeights } from "../../infra/weights/WeightsStore"
import { queueCreatedSubject, startNodeWorker } from "../../nodes/infra/nodeWorker"
import { ensureNodeConsumer } from "../../nodes/infra/workQueue"
import { startProjector } from "../../projections/projector"
import { objectStoreSnapshots, READ_MODELS_VERSION } from "../../projections/snapshots"
import { budgetEscrowed } from "../support/events"
import { countedIn } from "../support/metrics"
import { startNatsServer, type NatsServer } from "../support/natsServer"

/**
 * The repo's own nats.conf with the users rendered by infra/nats/accounts.ts,
 * loaded by a private server: each role, and each node as itself, can do its
 * job and nothing else. Each denial is paired with an allowed action of the
 * same identity, so a test cannot pass just because the identity is broken.
 */
const passwords = { admin: "admin-secret", api: "api-secret", bridge: "bridge-secret", coordinator: "coordinator-secret" } as const
const nodes: ReadonlyArray<NodeAccount> = [
  { nodeId: "trainer1", role: "trainer", password: "trainerOnePassword1" },
  { nodeId: "trainer2", role: "trainer", password: "trainerTwoPassword2" },
  { nodeId: "validator1", role: "validator", password: "validatorOnePassword" }
]

let server: NatsServer
const connections: Array<NatsConnection> = []
const as = async (user: string, pass: string) => {
  const nc = await connect({ ...natsOptions({ servers: server.url, user, pass }), timeout: 3000 })
  connections.push(nc)
  return nc
}
const asRole = (role: keyof typeof passwords) => as(role, passwords[role])
const asNode = (nodeId: string) => as(nodeUser(nodeId), nodes.find((n) => n.nodeId === nodeId)!.password)
const enc = (s: string) => new TextEncoder().encode(s)
const forwardsCounted = () => countedIn(appendForwards, "forwarded")
const DENIED = /permission|authorization/i

/** Resolves with the server's refusal of a subscription (it arrives asynchronously). */
const subscriptionRefused = async (nc: NatsConnection, subject: string): Promise<boolean> => {
  const sub = nc.subscribe(subject)
  const refused = (async () => {
    try {
      for await (const _ of sub) return false
      return false
    } catch (e) {
      return DENIED.test(String(e))
    }
  })()
  await nc.flush()
  return Promise.race([refused, new Promise<boolean>((r) => setTimeout(() => r(false), 3000))])
}

beforeAll(async () => {
  server = await startNatsServer({
    private: true,
    configFile: "nats.conf",
    auth: { nodes },
    env: passwordEnvironment(passwords)
  })
  const admin = await asRole("admin")
  await provisionAll(admin)
  for (const n of nodes) await ensureNodeConsumer(admin, n.nodeId)
})
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)))
  await server?.stop()
})

describe("NATS identities and permissions (nats.conf + infra/nats/accounts.ts)", () => {
  it("refuses a wrong password, and the retired shared node users", async () => {
    await expect(connect({ servers: server.url, user: "api", pass: "nope", timeout: 3000 })).rejects.toThrow(DENIED)
    await expect(connect({ servers: server.url, user: "trainer", pass: "trainer-secret", timeout: 3000 })).rejects.toThrow(DENIED)
  })

  it("api: the only writer of the log and of weights; cannot delete or purge them, cannot create streams", async () => {
    const nc = await asRole("api")
    const store = toEventStore(await JetStreamLog.open(nc, { ...defaultJetStreamConfig, provision: false }))
    const r = await Effect.runPromise(
      store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 100n)], commandId: "perm-1" })
    )
    expect(r.globalPosition).toBeGreaterThan(0)
    expect((await Effect.runPromise(store.readStream("ledger-T1"))).length).toBe(1)
    const bucket = await new Objm(nc).open(WEIGHTS_BUCKET)
    expect((await bucket.putBlob({ name: "sha256-api" }, new Uint8Array([1, 2, 3]))).size).toBe(3)
    const jsm = await jetstreamManager(nc, { timeout: 2000 })
    await expect(jsm.streams.delete("EVENTS")).rejects.toThrow(DENIED)
    await expect(jsm.streams.purge("EVENTS")).rejects.toThrow(DENIED)
    await expect(jsm.streams.purge(`OBJ_${WEIGHTS_BUCKET}`)).rejects.toThrow(DENIED)
    await expect(jsm.streams.add({ name: "ROGUE", subjects: ["rogue.>"] })).rejects.toThrow(DENIED)
  })

  it("api: two API processes share the writer lease, one appending for both; no other role can take the lease or have an append forwarded", async () => {
    const config = { ...defaultJetStreamConfig, provision: false, writerLease: true }
    const holder = await JetStreamLog.open(await asRole("api"), config)
    const follower = await JetStreamLog.open(await asRole("api"), config)
    try {
      expect([holder.holdsWriterLease, follower.holdsWriterLease]).toEqual([true, false])
      const forwarded = await forwardsCounted()
      const r = await Effect.runPromise(
        toEventStore(follower).append({ stream: "ledger-T40", expectedRevision: "no_stream", events: [budgetEscrowed("T40", 40n)], commandId: "perm-lease-1" })
      )
      expect(r.events[0]!.stream).toBe("ledger-T40")
      expect((await forwardsCounted()) - forwarded).toBe(1)
      for (const nc of [await asRole("coordinator"), await asRole("bridge"), await asNode("trainer1")]) {
        await expect(nc.request("events_writer.append", enc("{}"), { timeout: 2000 })).rejects.toThrow(DENIED)
        await expect(jetstream(nc, { timeout: 2000 }).publish("events_writer.lease", enc("rogue"))).rejects.toThrow(DENIED)
        expect(await subscriptionRefused(nc, "events_writer.append")).toBe(true)
      }
    } finally {
      await holder.close()
      await follower.close()
    }
  })

  it("coordinator: creates a node's work queue and routes work to it, reads weights, but cannot append events or write weights", async () => {
    const nc = await asRole("coordinator")
    await ensureNodeConsumer(nc, "trainer9")
    const js = jetstream(nc, { timeout: 2000 })
    expect((await js.publish("cmd.train.tfjs.trainer9", enc(JSON.stringify({ task: "T9" })), { msgID: "train-9" })).stream).toBe("CMDS")
    await expect(js.publish("events.task.T1", enc("{}"), { timeout: 2000 })).rejects.toThrow(DENIED)
    const bucket = await new Objm(nc).open(WEIGHTS_BUCKET)
    expect([...(await bucket.getBlob("sha256-api"))!]).toEqual([1, 2, 3])
    await expect(bucket.putBlob({ name: "sha256-forged" }, new Uint8Array([9]))).rejects.toThrow(DENIED)
    const jsm = await jetstreamManager(nc, { timeout: 2000 })
    await expect(jsm.streams.delete("CMDS")).rejects.toThrow(DENIED)
  })

  it("bridge: reads the log but cannot publish anything on it (no poison messages) nor work", async () => {
    const nc = await asRole("bridge")
    const jsm = await jetstreamManager(nc, { timeout: 2000 })
    expect((await jsm.direct.getMessage("EVENTS", { seq: 1 }))?.seq).toBe(1)
    // The whole log through the event store: its reads deliver under the bridge's own inbox.
    const log = toEventStore(await JetStreamLog.open(nc, { ...defaultJetStreamConfig, provision: false }))
    const read = await Effect.runPromise(Stream.runCollect(log.readAll()))
    expect(read.map((e) => e.stream)).toContain("ledger-T1")
    expect(read[0]!.globalPosition).toBe(1)
    const js = jetstream(nc, { timeout: 2000 })
    await expect(js.publish("events.anchor.x", enc("garbage"), { timeout: 2000 })).rejects.toThrow(DENIED)
    await expect(js.publish("events.task.T1", enc("{}"), { timeout: 2000 })).rejects.toThrow(DENIED)
    await expect(js.publish("cmd.train.tfjs", enc("{}"), { timeout: 2000 })).rejects.toThrow(DENIED)
  })

  it("a node pulls its own work queue only, and cannot publish events or commands", async () => {
    const admin = await asRole("admin")
    await jetstream(admin).publish("cmd.train.tfjs.trainer1", enc(JSON.stringify({ task: "T1" })), { msgID: "train-1" })
    await jetstream(admin).publish("cmd.train.tfjs.trainer2", enc(JSON.stringify({ task: "T2" })), { msgID: "train-2" })
    const nc = await asNode("trainer1")
    const js = jetstream(nc, { timeout: 2000 })
    const own = await js.consumers.get("CMDS", "node-trainer1")
    const msg = await own.next({ expires: 2000 })
    expect(msg?.subject).toBe("cmd.train.tfjs.trainer1")
    msg!.ack()
    // The rival's queue: neither its info nor its messages.
    await expect(js.consumers.get("CMDS", "node-trainer2")).rejects.toThrow(DENIED)
    await expect(js.publish("events.task.T1", enc("{}"), { timeout: 2000 })).rejects.toThrow(DENIED)
    await expect(js.publish("cmd.verify.tfjs.trainer2", enc("{}"), { timeout: 2000 })).rejects.toThrow(DENIED)
    // No consumer of its own making (a JetStream manager cannot even check the account).
    await expect(
      jetstreamManager(nc, { timeout: 2000, checkAPI: false }).then((m) => m.consumers.add("CMDS", { durable_name: "rogue", filter_subject: "cmd.*.*.rogue" }))
    ).rejects.toThrow(DENIED)
    // The rival's work is still there for the rival.
    const rival = await (await jetstream(await asNode("trainer2"), { timeout: 2000 }).consumers.get("CMDS", "node-trainer2")).next({ expires: 2000 })
    expect(rival?.subject).toBe("cmd.train.tfjs.trainer2")
    rival!.ack()
  })

  it("a node heartbeats on its own subject only, and only the coordinator hears heartbeats", async () => {
    const coordinator = await asRole("coordinator")
    const heard: Array<string> = []
    const sub = coordinator.subscribe("heartbeat.cmd.*")
    await coordinator.flush()
    const trainer1 = await asNode("trainer1")
    // Forged first, own second, on one connection: had the forgery passed, it would arrive first.
    trainer1.publish("heartbeat.cmd.trainer2", "{}")
    trainer1.publish("heartbeat.cmd.trainer1", "{}")
    for await (const m of sub) {
      heard.push(m.subject)
      if (m.subject === "heartbeat.cmd.trainer1") break
    }
    expect(heard).toEqual(["heartbeat.cmd.trainer1"])
    // Nodes cannot listen to each other's liveness.
    expect(await subscriptionRefused(await asNode("validator1"), "heartbeat.cmd.*")).toBe(true)
  })

  it("a node reads weights but can neither write nor delete them (no sabotage of a rival's weights)", async () => {
    const api = await new Objm(await asRole("api")).open(WEIGHTS_BUCKET)
    await api.putBlob({ name: "sha256-rival" }, new Uint8Array([4, 5, 6]))
    const published = await (await objectStoreWeights(await asRole("api"), WEIGHTS_BUCKET)).put(new Uint8Array([7, 8, 9]))
    for (const nodeId of ["trainer1", "validator1"]) {
      const bucket = await new Objm(await asNode(nodeId)).open(WEIGHTS_BUCKET)
      expect([...(await bucket.getBlob("sha256-rival"))!]).toEqual([4, 5, 6])
      // The way nodes read (metadata, then the chunks by direct get) is allowed too.
      const weights = await objectStoreWeights(await asNode(nodeId), WEIGHTS_BUCKET)
      expect([...(await weights.get(published))]).toEqual([7, 8, 9])
      await expect(bucket.putBlob({ name: "sha256-rival" }, new Uint8Array([6, 6, 6]))).rejects.toThrow(DENIED)
      await expect(bucket.delete("sha256-rival")).rejects.toThrow(DENIED)
    }
    expect([...(await api.getBlob("sha256-rival"))!]).toEqual([4, 5, 6])
  })

  it("no identity can read another's replies: each may subscribe only to its own inbox prefix", async () => {
    for (const nc of [await asNode("trainer1"), await asNode("validator1"), await asRole("coordinator"), await asRole("bridge")]) {
      expect(await subscriptionRefused(nc, "_INBOX.>")).toBe(true)
      expect(await subscriptionRefused(nc, "_INBOX_api.>")).toBe(true)
    }
    expect(await subscriptionRefused(await asNode("trainer1"), "_INBOX_node-trainer2.>")).toBe(true)
    // Its own requests still get their replies.
    const own = await asNode("trainer1")
    expect((await jetstreamManager(own, { timeout: 2000 }).then((m) => m.getAccountInfo()).catch((e: unknown) => e)) instanceof Error).toBe(false)
  })

  it("api: saves a 20 MB read-model snapshot and restarts from it (object-store flow control is allowed)", async () => {
    const nc = await asRole("api")
    const snapshots = await objectStoreSnapshots(nc)
    const docs = Object.fromEntries(Array.from({ length: 21_000 }, (_, i) => [`n${i}`, { nodeId: `n${i}`, note: "x".repeat(1_000) }]))
    const snapshot = { version: READ_MODELS_VERSION, position: 12_345, collections: { nodes: docs } }
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(20 * 1024 * 1024)
    await snapshots.save(snapshot)
    // A restarted API: a new connection of the same role loads it back whole.
    const restarted = await objectStoreSnapshots(await asRole("api"))
    const loaded = await restarted.load()
    expect(loaded?.position).toBe(12_345)
    expect(Object.keys(loaded!.collections.nodes!).length).toBe(21_000)
    // And the projector resumes from it instead of replaying the log.
    const store = toEventStore(await JetStreamLog.open(nc, { ...defaultJetStreamConfig, provision: false }))
    const projector = await startProjector(store, { snapshots: restarted })
    expect(projector.resumedFrom).toBe(12_345)
    await projector.stop()
  }, 120_000)

  it("a node hears its own queue's creation announced, and starts working at once; not a rival's", async () => {
    const admin = await asRole("admin")
    // validator1 (re)joins: its queue is created while it waits, and its poll is far too slow to find it.
    await (await jetstreamManager(admin)).consumers.delete("CMDS", "node-validator1")
    const lines: Array<string> = []
    let heard = () => {}
    const said = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => (lines.some((l) => l.includes(text)) ? resolve() : (heard = check))
        check()
      })
    const worker = await startNodeWorker({
      nc: await asNode("validator1"),
      nodeId: "validator1",
      queuePollMs: 600_000,
      log: (l) => {
        lines.push(l)
        heard()
      },
      handle: async () => undefined
    })
    await said("waiting for its work queue")
    await ensureNodeConsumer(admin, "validator1")
    // Only the announcement can wake it before the test's timeout.
    await said("work queue ready")
    await worker.stop()
    expect(lines).toEqual(["validator1: waiting for its work queue (the coordinator creates it when the node joins a task)", "validator1: work queue ready"])
    // A node stopped while it waits for its queue stops at once (trainer2's queue is never created here).
    await (await jetstreamManager(admin)).consumers.delete("CMDS", "node-trainer2")
    const waiting: Array<string> = []
    const idle = await startNodeWorker({ nc: await asNode("trainer2"), nodeId: "trainer2", queuePollMs: 600_000, log: (l) => waiting.push(l), handle: async () => undefined })
    await idle.stop()
    expect(waiting.filter((l) => l.includes("work queue ready"))).toEqual([])
    await ensureNodeConsumer(admin, "trainer2")
    expect(await subscriptionRefused(await asNode("validator1"), queueCreatedSubject("CMDS", "trainer1"))).toBe(true)
    expect(await subscriptionRefused(await asNode("validator1"), "$JS.EVENT.ADVISORY.>")).toBe(true)
  })

  it("a node added while the server runs gets its identity after a reload, without restarting anyone", async () => {
    const before = await asNode("trainer1")
    await server.setNodeAccounts([...nodes, { nodeId: "late", role: "trainer", password: "lateNodePassword1" }])
    const late = await as(nodeUser("late"), "lateNodePassword1")
    const admin = await asRole("admin")
    await ensureNodeConsumer(admin, "late")
    expect(await (await jetstream(late).consumers.get("CMDS", "node-late")).info()).toMatchObject({ name: "node-late" })
    expect(before.isClosed()).toBe(false)
  })
})
