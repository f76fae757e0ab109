import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { Objm } from "@nats-io/obj"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toEventStore } from "../../infra/eventStore/backend"
import { defaultJetStreamConfig, JetStreamLog } from "../../infra/eventStore/jetStream"
import { provisionAll, WEIGHTS_BUCKET } from "../../infra/nats/provision"
import { ensureNodeConsumer } from "../../nodes/infra/workQueue"
import { budgetEscrowed } from "../support/events"
import { startNatsServer, type NatsServer } from "../support/natsServer"

/**
 * The repo's own nats.conf, loaded by a private server: each role can do its
 * job and nothing else. Each denial is paired with an allowed action of the
 * same role, so a test cannot pass just because the role is broken.
 */
const passwords = {
  admin: "admin-secret",
  api: "api-secret",
  trainer: "trainer-secret",
  validator: "validator-secret",
  bridge: "bridge-secret",
  coordinator: "coordinator-secret"
} as const
type Role = keyof typeof passwords

let server: NatsServer
const connections: Array<NatsConnection> = []
const as = async (role: Role) => {
  const nc = await connect({ servers: server.url, user: role, pass: passwords[role], timeout: 3000 })
  connections.push(nc)
  return nc
}
const enc = (s: string) => new TextEncoder().encode(s)

beforeAll(async () => {
  server = await startNatsServer({
    private: true,
    configFile: "nats.conf",
    env: {
      NATS_ADMIN_PASSWORD: passwords.admin,
      NATS_API_PASSWORD: passwords.api,
      NATS_TRAINER_PASSWORD: passwords.trainer,
      NATS_VALIDATOR_PASSWORD: passwords.validator,
      NATS_BRIDGE_PASSWORD: passwords.bridge,
      NATS_COORDINATOR_PASSWORD: passwords.coordinator
    }
  })
  await provisionAll(await as("admin"))
})
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)))
  await server?.stop()
})

describe("nats.conf role permissions", () => {
  it("refuses a wrong password", async () => {
    await expect(connect({ servers: server.url, user: "api", pass: "nope", timeout: 3000 })).rejects.toThrow(/Authorization/i)
  })

  it("api: appends to and reads the event log, cannot delete or purge it, cannot create streams", async () => {
    const nc = await as("api")
    const store = toEventStore(await JetStreamLog.open(nc, { ...defaultJetStreamConfig, provision: false }))
    const r = await Effect.runPromise(
      store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 100n)], commandId: "perm-1" })
    )
    expect(r.globalPosition).toBeGreaterThan(0)
    expect((await Effect.runPromise(store.readStream("ledger-T1"))).length).toBe(1)
    const jsm = await jetstreamManager(nc, { timeout: 2000 })
    await expect(jsm.streams.delete("EVENTS")).rejects.toThrow(/permission/i)
    await expect(jsm.streams.purge("EVENTS")).rejects.toThrow(/permission/i)
    await expect(jsm.streams.add({ name: "ROGUE", subjects: ["rogue.>"] })).rejects.toThrow(/permission/i)
  })

  it("coordinator: creates a node's work queue and routes work to it, but cannot append events", async () => {
    const nc = await as("coordinator")
    await ensureNodeConsumer(nc, "trainer9")
    const js = jetstream(nc, { timeout: 2000 })
    expect((await js.publish("cmd.train.tfjs.trainer9", enc(JSON.stringify({ task: "T9" })), { msgID: "train-9" })).stream).toBe("CMDS")
    await expect(js.publish("events.task.T1", enc("{}"), { timeout: 2000 })).rejects.toThrow(/permission/i)
    const jsm = await jetstreamManager(nc, { timeout: 2000 })
    await expect(jsm.streams.delete("CMDS")).rejects.toThrow(/permission/i)
  })

  it("trainer: pulls its work queue and writes weights, but cannot publish events or commands", async () => {
    const admin = await as("admin")
    await ensureNodeConsumer(admin, "trainer1")
    await jetstream(admin).publish("cmd.train.tfjs.trainer1", enc(JSON.stringify({ task: "T1" })), { msgID: "train-1" })
    const nc = await as("trainer")
    const js = jetstream(nc, { timeout: 2000 })
    const consumer = await js.consumers.get("CMDS", "node-trainer1")
    const msg = await consumer.next({ expires: 2000 })
    expect(msg?.subject).toBe("cmd.train.tfjs.trainer1")
    msg!.ack()
    const bucket = await new Objm(nc).open(WEIGHTS_BUCKET)
    const put = await bucket.putBlob({ name: "sha256-abc" }, new Uint8Array([1, 2, 3]))
    expect(put.size).toBe(3)

    await expect(js.publish("events.task.T1", enc("{}"), { timeout: 2000 })).rejects.toThrow(/permission/i)
    await expect(js.publish("cmd.verify.tfjs", enc("{}"), { timeout: 2000 })).rejects.toThrow(/permission/i)
    const jsm = await jetstreamManager(nc, { timeout: 2000 })
    await expect(jsm.consumers.add("CMDS", { durable_name: "rogue", filter_subject: "cmd.*.*.rogue" })).rejects.toThrow(/permission/i)
  })

  it("validator: reads weights, cannot write them or touch the log", async () => {
    const admin = await as("admin")
    await ensureNodeConsumer(admin, "validator1")
    await (await new Objm(admin).open(WEIGHTS_BUCKET)).putBlob({ name: "sha256-def" }, new Uint8Array([4, 5, 6]))
    const nc = await as("validator")
    expect(await (await jetstream(nc).consumers.get("CMDS", "node-validator1")).info()).toMatchObject({ name: "node-validator1" })
    const bucket = await new Objm(nc).open(WEIGHTS_BUCKET)
    const blob = await bucket.getBlob("sha256-def")
    expect([...blob!]).toEqual([4, 5, 6])
    await expect(bucket.putBlob({ name: "forged" }, new Uint8Array([9]))).rejects.toThrow(/permission/i)
    const js = jetstream(nc, { timeout: 2000 })
    await expect(js.publish("events.model.M-1", enc("{}"), { timeout: 2000 })).rejects.toThrow(/permission/i)
  })

  it("bridge: appends only its anchor events", async () => {
    const nc = await as("bridge")
    const js = jetstream(nc, { timeout: 2000 })
    const ok = await js.publish("events.anchor.chain-31337", enc("{}"), { timeout: 2000 })
    expect(ok.stream).toBe("EVENTS")
    await expect(js.publish("events.task.T1", enc("{}"), { timeout: 2000 })).rejects.toThrow(/permission/i)
    await expect(js.publish("cmd.train.tfjs", enc("{}"), { timeout: 2000 })).rejects.toThrow(/permission/i)
  })
})
