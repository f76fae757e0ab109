import { execFile } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { EventStore } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { auditLog } from "../../projections/audit"
import { commitAndReveal, devKey, joinTask, proofPayload, registerNode, sampleEvidence, sampleTask } from "../../commands/samples"
import { signCommand } from "../../infra/identity/signature"
import { apiHarness } from "../support/apiHarness"
import { isolatedJetStreamLog } from "../support/jetStreamLayer"
import { natsServerPerFile } from "../support/natsServer"

const nats = natsServerPerFile()

/** A task with 5 nodes joined and a round with one result, through the signed API. */
const lifecycle = async (api: Awaited<ReturnType<typeof apiHarness>>) => {
  const modelId = await sampleTask(api.client, "T1")
  for (const [id, role] of [["t0", "trainer"], ["t1", "trainer"], ["v0", "validator"], ["v1", "validator"], ["v2", "validator"]] as const) {
    await registerNode(api.client, devKey(id), id, [role])
    await joinTask(api.client, devKey(id), "T1", id, role)
  }
  await api.client.command("StartRound", { taskId: "T1", round: 1 })
  const base = (await api.client.get(`/models/${modelId}`)).model.versions[0].weightsHash
  const proof = proofPayload(base)
  const submitted = await api.client.as(devKey("t0")).command("SubmitResult", { taskId: "T1", round: 1, resultId: "T1-r1-t0", nodeId: "t0", proof })
  const drawn = await api.client.command("DrawValidators", { taskId: "T1", round: 1, resultId: "T1-r1-t0" })
  // `last`: the lifecycle's last command (the draw), for reads that must include everything.
  return { modelId, submitted, last: drawn, proof, audit: drawn.results[0]!.events[0]!.data.audit }
}

const readSse = async (url: string, headers: Record<string, string>, count: number) => {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal })
  expect(response.headers.get("content-type")).toContain("text/event-stream")
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const events: Array<{ id: string; type: string; data: any }> = []
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let cut: number
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      const lines = Object.fromEntries(block.split("\n").filter((l) => !l.startsWith(":") && l.includes(": ")).map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)]))
      if (lines.id) events.push({ id: lines.id, type: lines.event!, data: JSON.parse(lines.data!) })
    }
  }
  controller.abort()
  return events.slice(0, count)
}

describe("read side on real JetStream: queries, live streams, audit", () => {
  it("queries answer with their position, page, and read-your-writes with ?minPosition", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer())
    const { modelId, submitted } = await lifecycle(api)
    const task = await api.client.get(`/tasks/T1?minPosition=${submitted.globalPosition}`)
    expect(task.position).toBeGreaterThanOrEqual(submitted.globalPosition)
    expect(task.task).toMatchObject({ status: "running", rounds: 1, budgetLeft: "3000000" })
    expect(task.task.participants).toHaveLength(5)
    const model = await api.client.get(`/models/${modelId}`)
    expect(model.model.versions).toHaveLength(1)
    const first = await api.client.get("/nodes?limit=2")
    expect(first.items.map((n: any) => n.nodeId)).toEqual(["t0", "t1"])
    const second = await api.client.get(`/nodes?limit=2&after=${first.next}`)
    expect(second.items.map((n: any) => n.nodeId)).toEqual(["v0", "v1"])
    expect((await api.client.get("/nodes/t0")).node.results.submitted).toBe(1)
    const balance = await api.client.get(`/balances/${api.keys.owner.address}`)
    expect(balance.balance.escrowed).toBe("3000000")
    expect(balance.balance.payouts).toEqual([])
    expect(balance.balance).not.toHaveProperty("payoutPages")
    expect((await api.client.get("/tasks/T1/leaderboard")).leaderboard.entries).toEqual([])
    expect((await api.client.get(`/models/${modelId}/lineage`)).nodes).toHaveLength(1)
    const missing = await api.app.inject({ method: "GET", url: "/tasks/nope" })
    expect([missing.statusCode, missing.json().code]).toEqual([404, "NotFound"])
    const badPage = await api.app.inject({ method: "GET", url: "/nodes?limit=0" })
    expect([badPage.statusCode, badPage.json().code]).toEqual([400, "InvalidRequest"])
    const future = await api.app.inject({ method: "GET", url: `/tasks/T1?minPosition=${submitted.globalPosition + 1000}` })
    expect([future.statusCode, future.json().code]).toEqual([503, "ProjectionBehind"])
  }, 30_000)

  it("streams a task's events over SSE: catch-up then live, resumable with Last-Event-ID, no gap, no duplicate", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer())
    const url = await api.app.listen({ port: 0, host: "127.0.0.1" })
    const { proof, audit } = await lifecycle(api)
    const all = (await api.client.get("/events?aggregate=task&limit=1000")).events.filter((e: any) => e.stream === "task-T1")
    const firstPart = await readSse(`${url}/tasks/T1/events`, {}, 4)
    expect(firstPart.map((e) => e.id)).toEqual(all.slice(0, 4).map((e: any) => `${e.globalPosition}.${e.indexInCommit}`))
    // Resume after the 4th event; meanwhile more happens (live).
    // Then three commitments and two reveals arrive live.
    const resumed = readSse(`${url}/tasks/T1/events`, { "last-event-id": firstPart[3]!.id }, all.length - 4 + 5)
    await new Promise((r) => setTimeout(r, 200))
    const validators: Array<string> = all.find((e: any) => e.type === "VerificationRequested").data.validators
    const reveals = []
    for (const v of validators) {
      const vote = { taskId: "T1", round: 1, resultId: "T1-r1-t0", nodeId: v, verdict: "accept" as const, measured: { accuracy: 0.86, loss: 0.45 }, evidence: sampleEvidence(proof, audit) }
      reveals.push(await commitAndReveal(api.client, devKey(v), vote))
    }
    for (const reveal of reveals.slice(0, 2)) await reveal!()
    const rest = await resumed
    const expected = (await api.client.get("/events?aggregate=task&limit=1000")).events.filter((e: any) => e.stream === "task-T1").map((e: any) => `${e.globalPosition}.${e.indexInCommit}`)
    const seen = [...firstPart, ...rest].map((e) => e.id)
    expect(seen).toEqual(expected.slice(0, seen.length))
    expect(new Set(seen).size).toBe(seen.length)
    expect(rest.some((e) => e.type === "VerificationVoted")).toBe(true)
    await api.app.close()
  }, 30_000)

  it("audits: a clean replay matches the live read models and every signature verifies", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer())
    await lifecycle(api)
    const report = await api.client.get("/audit")
    expect(report).toMatchObject({ ok: true, problems: [] })
    expect(report.signaturesVerified).toBe(report.commits)
    expect(report.comparedWithLiveAt).toBe(report.rebuiltPosition)
  }, 30_000)

  it("a tampered copy of the log is reported at exactly the tampered event, by the CLI too (exit 1)", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer())
    await lifecycle(api)
    const store = await api.runtime.runPromise(EventStore.useSync((s) => s))
    const events = Schema.encodeSync(Schema.Array(RecordedEvent))(await api.runtime.runPromise(Stream.runCollect(store.readAll())))
    const copy = JSON.parse(JSON.stringify(events))
    const target = copy.findIndex((e: any) => e.type === "BudgetEscrowed")
    copy[target].data.amount = "1"
    const live = await api.client.get("/audit/projections")
    const report = auditLog(copy, live)
    expect(report.ok).toBe(false)
    const eventProblems = report.problems.filter((p) => p.eventId !== undefined)
    expect(eventProblems.map((p) => [p.kind, p.eventId])).toEqual([["edited", copy[target].id]])
    // The forged amount also shows in the read models rebuilt from the copy.
    expect(report.problems.filter((p) => p.kind === "projection").map((p) => `${p.projection}/${p.docId}`)).toEqual([`balances/${api.keys.owner.address}`])

    const dir = mkdtempSync(join(tmpdir(), "audit-"))
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(copy))
    writeFileSync(join(dir, "clean.json"), JSON.stringify(events))
    const cli = (file: string) =>
      promisify(execFile)("npx", ["tsx", "cli/main.ts", "audit", "--file", join(dir, file), "--offline"], { cwd: process.cwd() }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout })
      )
    const clean = await cli("clean.json")
    expect(clean.code).toBe(0)
    const tampered = await cli("tampered.json")
    expect(tampered.code).toBe(1)
    expect(JSON.parse(tampered.out).problems[0]).toMatchObject({ kind: "edited", eventId: copy[target].id })
  }, 60_000)

  it("rebuilds every read model from zero on demand, to the same state", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer(), { wholeLogRateLimit: { max: 100, timeWindowMs: 60_000 } })
    const { last } = await lifecycle(api)
    await api.client.get(`/tasks/T1?minPosition=${last.globalPosition}`)
    const before = await api.client.get("/audit/projections")
    const rebuild = (key = api.keys.admin) =>
      api.app.inject({ method: "POST", url: "/admin/projections/rebuild", payload: signCommand(key, "RebuildProjections", {}) })
    // Only a signed admin command: not anonymous, not another identity.
    expect((await api.app.inject({ method: "POST", url: "/admin/projections/rebuild" })).json().code).toBe("InvalidRequest")
    expect([(await rebuild(api.keys.owner)).statusCode, (await rebuild(api.keys.owner)).json().code]).toEqual([403, "NotAdmin"])
    // 50 concurrent rebuilds: one runs, the others join it; the read models are never behind.
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const r = await rebuild()
        const now = await api.client.get("/tasks/T1")
        return { status: r.statusCode, position: r.json().position as number, seen: now.position as number }
      })
    )
    expect(answers.every((a) => a.status === 200 && a.position === before.position && a.seen >= before.position)).toBe(true)
    expect(await api.client.get("/audit/projections")).toEqual(before)
  }, 30_000)

  it("answers 429 RateLimited past the whole-log routes' limit, with Retry-After", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer(), { wholeLogRateLimit: { max: 2, timeWindowMs: 60_000 } })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await api.app.inject({ method: "GET", url: "/audit" })).statusCode)
    expect(statuses).toEqual([200, 200, 429])
    const limited = await api.app.inject({ method: "GET", url: "/events/verify" })
    expect(limited.statusCode).toBe(200)
    await api.app.inject({ method: "GET", url: "/events/verify" })
    const refused = await api.app.inject({ method: "GET", url: "/events/verify" })
    expect([refused.statusCode, refused.json().code]).toEqual([429, "RateLimited"])
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0)
    // Other reads are not limited.
    expect((await api.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200)
  }, 30_000)
})
