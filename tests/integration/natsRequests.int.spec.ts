import { connect, type NatsConnection } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { answeredRequestsPatched } from "../../infra/nats/answeredRequests"
import { natsOptions } from "../../infra/nats/NatsClient"
import { startNatsServer, type NatsServer } from "../support/natsServer"

/**
 * infra/nats/answeredRequests.ts changes how nats.js cleans up an answered
 * request (no throwaway Error). Every other way a request ends must behave
 * exactly as nats.js ships it: answered, no responders, timed out, or cut
 * off by the connection closing.
 */
let server: NatsServer
let nc: NatsConnection
beforeAll(async () => {
  server = await startNatsServer()
  nc = await connect(natsOptions({ servers: server.url }))
  nc.subscribe("echo", { callback: (_, m) => void m.respond(m.data) })
  // Answers nothing: requests to it time out.
  nc.subscribe("silent", { callback: () => undefined })
})
afterAll(async () => {
  await nc?.close()
  await server?.stop()
})

describe("NATS requests with answered-request cleanup patched", () => {
  it("is installed", () => {
    expect(answeredRequestsPatched()).toBe(true)
  })
  it("an answered request resolves with its answer, many times over, and leaves no request pending", async () => {
    for (let i = 0; i < 200; i++) expect(new TextDecoder().decode((await nc.request("echo", `m${i}`, { timeout: 2_000 })).data)).toBe(`m${i}`)
    await Promise.all(Array.from({ length: 200 }, async (_, i) => expect((await nc.request("echo", `p${i}`)).string()).toBe(`p${i}`)))
  })
  it("a request nobody listens to rejects (no responders)", async () => {
    await expect(nc.request("nobody.here", "x", { timeout: 2_000 })).rejects.toThrow(/no responders/i)
  })
  it("a request nobody answers rejects with a timeout", async () => {
    await expect(nc.request("silent", "x", { timeout: 200 })).rejects.toThrow(/timeout/i)
  })
  it("a request outstanding when the connection closes rejects", async () => {
    const other = await connect(natsOptions({ servers: server.url }))
    const pending = other.request("silent", "x", { timeout: 10_000 })
    const settled = pending.then(() => "resolved", () => "rejected")
    await other.close()
    expect(await settled).toBe("rejected")
  })
})
