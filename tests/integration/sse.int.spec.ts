import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Effect } from "effect"
import { request as httpRequest } from "node:http"
import { describe, expect, it } from "vitest"
import { EventStore } from "../../domain/ports"
import { apiHarness } from "../support/apiHarness"
import { liveBytes } from "../support/heap"
import { nodeRegistered } from "../support/events"
import { isolatedJetStreamLog } from "../support/jetStreamLayer"
import { natsServerPerFile } from "../support/natsServer"

const nats = natsServerPerFile()

/** A listening API over a fresh JetStream log with one task stream. */
const listening = async () => {
  const log = isolatedJetStreamLog(nats.server.url)
  const api = await apiHarness(log.layer())
  const store = await api.runtime.runPromise(EventStore.useSync((s) => s))
  await Effect.runPromise(store.append({ stream: "task-S1", expectedRevision: "no_stream", events: [nodeRegistered("n1")], commandId: "seed" }))
  const address = await api.app.listen({ port: 0, host: "127.0.0.1" })
  const nc = await connect({ servers: nats.server.url })
  const jsm = await jetstreamManager(nc)
  const consumers = async () => {
    let n = 0
    for await (const _ of jsm.consumers.list(log.config.streamName)) n++
    return n
  }
  return {
    api,
    address,
    consumers,
    async [Symbol.asyncDispose]() {
      await nc.close()
      await api[Symbol.asyncDispose]()
      await log[Symbol.asyncDispose]()
    }
  }
}

/** Open an SSE stream and resolve once its first bytes arrive; `abort` drops the connection. */
const openStream = (address: string, path: string) =>
  new Promise<{ status: number; firstChunk: string; abort: () => void; ended: Promise<void> }>((resolve, reject) => {
    const req = httpRequest(`${address}${path}`, (res) => {
      let resolveEnded: () => void = () => undefined
      const ended = new Promise<void>((r) => (resolveEnded = r))
      res.on("end", () => resolveEnded())
      res.on("close", () => resolveEnded())
      res.once("data", (chunk) => resolve({ status: res.statusCode ?? 0, firstChunk: String(chunk), abort: () => req.destroy(), ended }))
    })
    req.on("error", (e) => (String(e).includes("socket hang up") ? undefined : reject(e)))
    req.end()
  })

const settle = async (condition: () => Promise<boolean>, attempts = 400) => {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return false
}

describe("SSE streams on real JetStream", () => {
  it("answer 404 for an unknown task or model instead of an empty stream", async () => {
    await using t = await listening()
    for (const [path, code] of [
      ["/tasks/nope/events", "TaskNotFound"],
      ["/models/M-404/events", "ModelNotFound"]
    ]) {
      const r = await fetch(`${t.address}${path}`)
      expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([404, code])
    }
  })

  it("5,000 connect/abort cycles leave the log's consumer count where it was and memory bounded", async () => {
    await using t = await listening()
    const before = await t.consumers()
    // Warm up (JIT, pools) before the memory baseline.
    for (let i = 0; i < 50; i++) (await openStream(t.address, "/tasks/S1/events")).abort()
    expect(await settle(async () => (await t.consumers()) === before)).toBe(true)
    const liveBefore = await liveBytes()
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 5_000) {
          next++
          const s = await openStream(t.address, "/tasks/S1/events")
          expect(s.status).toBe(200)
          s.abort()
        }
      })
    )
    // Deletions are asynchronous; they must all land.
    expect(await settle(async () => (await t.consumers()) === before)).toBe(true)
    // A stream that kept even 4 KiB of state alive would leave 20 MB here.
    const grown = (await liveBytes()) - liveBefore
    console.log(JSON.stringify({ sseCycles: 5_000, liveBytesGrown: grown }))
    expect(grown).toBeLessThan(8 * 1024 * 1024)
  }, 180_000)

  it("open streams do not hold up shutdown: closing the API ends them", async () => {
    const t = await listening()
    const streams = await Promise.all([1, 2, 3].map(() => openStream(t.address, "/tasks/S1/events")))
    expect(streams.every((s) => s.status === 200 && s.firstChunk.includes("task-S1"))).toBe(true)
    await t.api.app.close()
    await Promise.all(streams.map((s) => s.ended))
    await t[Symbol.asyncDispose]()
  }, 30_000)
})
