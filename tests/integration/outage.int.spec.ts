import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { honestNodes, networkHarness, taskEvents } from "../support/networkHarness"
import { startNatsServer, type NatsServer } from "../support/natsServer"

/**
 * A NATS outage longer than any client's old reconnect budget (10 tries ×
 * 2 s): the server is killed (-9) in the middle of a task and comes back 25 s
 * later on the same port and store. The API, the projector, the coordinator
 * and every node ride it out: /health and /readyz report the outage and
 * recover by themselves, the task completes, the audit is clean.
 */
let server: NatsServer
beforeAll(async () => {
  server = await startNatsServer({ private: true })
})
afterAll(async () => {
  await server?.stop()
})

const OUTAGE_MS = 25_000

describe("a NATS outage in the middle of a task", () => {
  it("is ridden out by the API, projector, coordinator and nodes; the task completes and audits clean", async () => {
    await using net = await networkHarness(server.url, honestNodes)
    await net.createTask("OUT1", { target: 0.93, maxRounds: 6 })
    // Wait for work in flight: the first result of round 1.
    for (let i = 0; i < 600 && !(await taskEvents(net.api.client, "OUT1")).some((e) => e.type === "ResultSubmitted"); i++) {
      await new Promise((r) => setTimeout(r, 100))
    }

    await server.kill("SIGKILL")
    const during = await net.api.app.inject({ method: "GET", url: "/health" })
    expect(during.statusCode).toBe(503)
    expect((await net.api.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503)
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    await server.restart()

    // Readiness comes back by itself.
    let ready = 0
    for (let i = 0; i < 600 && ready !== 200; i++) {
      ready = (await net.api.app.inject({ method: "GET", url: "/readyz" })).statusCode
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100))
    }
    expect(ready).toBe(200)
    const events = await net.waitForEnd("OUT1", 240_000)
    expect(events.find((e) => e.type === "TaskCompleted"), net.log.slice(-20).join("\n")).toBeDefined()
    const audit = await net.api.client.get("/audit")
    expect(audit.ok, JSON.stringify(audit.problems.slice(0, 3))).toBe(true)
    // How often each work item was trained (a restart must not lose the consumers' acks).
    const trainings = new Map<string, number>()
    for (const line of net.log) {
      const m = /\] (\S+): OUT1 r(\d+) s(\d+): trained/.exec(line)
      if (m) trainings.set(`${m[1]} r${m[2]} s${m[3]}`, (trainings.get(`${m[1]} r${m[2]} s${m[3]}`) ?? 0) + 1)
    }
    // A trainer whose upload or submit failed in the outage resubmits its finished training.
    expect(trainings.size).toBeGreaterThan(0)
    expect([...trainings].filter(([, n]) => n > 1)).toEqual([])
  }, 360_000)
})
