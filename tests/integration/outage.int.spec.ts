import { connect } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { devKey } from "../../commands/samples"
import { httpTransport, NeuraClient } from "../../commands/client"
import { loadTf } from "../../infra/ml/tf"
import { provisionAll } from "../../infra/nats/provision"
import { objectStoreWeights } from "../../infra/weights/WeightsStore"
import { createDigitsTask, optIn } from "../../nodes/workloadTask"
import { honestNodes, taskEvents } from "../support/networkHarness"
import { freePort, startNatsServer, type NatsServer } from "../support/natsServer"
import { countBy, processGroup } from "../../infra/processGroup"

/**
 * Crashes of nats-server in the middle of a task, with every role its own OS
 * process: first kill -9 and 45 s down (longer than any client's old
 * reconnect budget), then kill -9 and straight back. The API, coordinator,
 * trainers and validators ride both out (no process exits), /health and
 * /readyz report the outage and recover by themselves, the task completes,
 * the audit is clean, and no work item is executed twice: consumer state
 * survives the crash (sync_interval: always) and a redelivered item is
 * answered from the node's memory of the command it computed.
 */
let server: NatsServer
beforeAll(async () => {
  server = await startNatsServer({ private: true })
})
afterAll(async () => {
  await server?.stop()
})

const OUTAGE_MS = 45_000
const nodes = honestNodes.map((n) => ({ ...n, nodeId: `o-${n.nodeId}` }))

describe("nats-server crashes in the middle of a task (every role its own process)", () => {
  it("are ridden out: no process exits, readiness recovers, the task completes, audits clean, no work is done twice", async () => {
    const nc = await connect({ servers: server.url })
    await provisionAll(nc)
    const group = processGroup(server.url)
    try {
      const apiUrl = await group.api(await freePort())
      group.network(apiUrl, nodes)
      const owner = new NeuraClient(httpTransport(apiUrl), devKey("o-owner"))
      await group.waitFor("node registration", async () => (await owner.get("/events?aggregate=node&limit=100")).events.length >= nodes.length, 60_000)
      // The MLP needs about 7 rounds to 95 % when nothing goes wrong, and what the outages cost
      // varies (a run on a loaded machine ended at round 8 with 0.946): the budget leaves room for
      // them, as this test is about riding outages out, not about how few rounds the task takes.
      await createDigitsTask({ owner, weights: await objectStoreWeights(nc), tf: await loadTf(), taskId: "OUT1", suffix: "o", target: 0.95, maxRounds: 12, roundDeadlineSeconds: 120 })
      await nc.close()
      await optIn(owner, "OUT1", nodes.map((n) => ({ ...n, key: devKey(n.nodeId) })))
      await group.waitFor("a first result", async () => (await taskEvents(owner, "OUT1")).some((e) => e.type === "ResultSubmitted"), 90_000)

      // Crash 1: down for 45 s.
      await server.kill("SIGKILL")
      expect((await fetch(`${apiUrl}/health`)).status).toBe(503)
      expect((await fetch(`${apiUrl}/readyz`)).status).toBe(503)
      await new Promise((r) => setTimeout(r, OUTAGE_MS))
      expect(group.started.filter((s) => s.child.exitCode !== null).map((s) => s.name), group.dump()).toEqual([])
      await server.restart()
      await group.waitFor("readiness after the outage", async () => (await fetch(`${apiUrl}/readyz`)).status === 200, 120_000)

      // Crash 2: as soon as more work was done, down and straight back.
      const before = (await taskEvents(owner, "OUT1")).length
      await group.waitFor("progress after the outage", async () => (await taskEvents(owner, "OUT1")).length > before + 3, 120_000)
      await server.kill("SIGKILL")
      await server.restart()

      let events: Array<any> = []
      await group.waitFor(
        "the task's end",
        async () => (events = await taskEvents(owner, "OUT1")).some((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted"),
        330_000
      )
      expect(events.some((e) => e.type === "TaskCompleted"), group.dump()).toBe(true)
      const audit = await owner.get("/audit")
      expect(audit.ok, JSON.stringify(audit.problems.slice(0, 3))).toBe(true)
      // Every process logged the outages and its recoveries, and none exited.
      for (const s of group.started) {
        const out = s.output.join("")
        expect(s.child.exitCode, `${s.name}: ${out.slice(-500)}`).toBe(null)
        expect(out, s.name).toMatch(/NATS connection lost/)
        expect(out, s.name).toMatch(/NATS connection restored/)
      }

      // Executions per work item: trainings ("OUT1 r1 s0: trained …") and verifications ("<result>: segment 3 reproduced, measured …").
      const trainings = new Map<string, number>()
      const verifications = new Map<string, number>()
      for (const s of group.started) {
        for (const [k, n] of countBy(s.output, /: (OUT1 r\d+ s\d+): trained/)) trainings.set(`${s.name} ${k}`, n)
        for (const [k, n] of countBy(s.output, /: (OUT1-r\d+-s\d+-\S+): segment \d+ /)) verifications.set(`${s.name} ${k}`, n)
      }
      // Every submitted result was trained; a training can also end unsubmitted (its round closed at the deadline meanwhile).
      const submitted = events.filter((e) => e.type === "ResultSubmitted")
      expect(trainings.size).toBeGreaterThanOrEqual(submitted.length)
      for (const r of submitted) {
        const work = `OUT1 r${r.data.round} s${/-s(\d+)-/.exec(r.data.resultId)![1]}`
        expect([...trainings.keys()].some((k) => k.endsWith(work) && k.includes(r.data.nodeId)), r.data.resultId).toBe(true)
      }
      // Every revealed vote was computed once by its judge. A judgement can end without a vote (the judge
      // was replaced while NATS was down, or its commitment came too late), but a judge that committed
      // and never revealed is listed unrevealed at close.
      const key = (e: any) => `${e.data.nodeId} ${e.data.resultId}`
      const voted = new Set(events.filter((e) => e.type === "VerificationVoted").map(key))
      const committed = new Set(events.filter((e) => e.type === "VoteCommitted").map(key))
      const unrevealed = new Set(events.flatMap((e) => (e.type === "RoundClosed" ? (e.data.unrevealed ?? []).map((u: any) => `${u.nodeId} ${u.resultId}`) : [])))
      expect(voted.size).toBeGreaterThan(0)
      for (const v of voted) expect(verifications.has(v), v).toBe(true)
      for (const k of verifications.keys()) if (!voted.has(k) && committed.has(k)) expect(unrevealed.has(k), k).toBe(true)
      expect([...trainings, ...verifications].filter(([, n]) => n > 1)).toEqual([])

      for (const s of group.started) s.child.kill("SIGTERM")
      expect(await Promise.all(group.started.map((s) => group.exitCode(s.child))), group.dump(300)).toEqual(group.started.map(() => 0))
    } finally {
      group.killAll()
      await nc.close().catch(() => undefined)
    }
  }, 600_000)
})
