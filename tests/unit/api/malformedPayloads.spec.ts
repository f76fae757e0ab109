import { describe, expect, it } from "vitest"
import { devKey, joinTask, proofPayload, registerNode, sampleTask } from "../../../commands/samples"
import { signCommand, type KeyPair } from "../../../infra/identity/signature"
import { apiHarness } from "../../support/apiHarness"

/**
 * Outsiders drive the API from other languages and send whatever they like.
 * Whatever a signed command's payload holds, the answer is a 4xx problem with
 * a code (never a 5xx), and a refused command appends nothing.
 *
 * The payloads are the API's own accepted commands (read back from the
 * log's metadata after a short lifecycle), each field in turn replaced by
 * values of the wrong type, out of range, or well-formed but meaningless
 * (a 33-byte "public key" that is no curve point was a 500 before). Every
 * command type the OpenAPI document lists is sent, signed by the owner and
 * by a node key.
 */
const NASTY: ReadonlyArray<unknown> = [
  null,
  "",
  "x".repeat(5000),
  -1,
  0,
  1.5,
  1e308,
  "-1",
  "1e60",
  "99999999999999999999999999999999999999999999999999999999999999999999999999999",
  `0x${"00".repeat(32)}`,
  `0x02${"00".repeat(31)}05`,
  `0x${"ff".repeat(20)}`,
  [],
  [null],
  {},
  JSON.parse('{"__proto__": {"polluted": true}}'),
  true,
  "../../etc/passwd",
  "T1\u0000"
]

const mutations = (payload: Record<string, unknown>): Array<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = [{}]
  for (const key of Object.keys(payload)) {
    for (const value of NASTY) out.push({ ...payload, [key]: value })
    const { [key]: _dropped, ...without } = payload
    out.push(without)
    // One level down too (a task's base model, a result's proof).
    const inner = payload[key]
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
      for (const sub of Object.keys(inner)) for (const value of NASTY) out.push({ ...payload, [key]: { ...inner, [sub]: value } })
    }
  }
  out.push({ ...payload, unexpected: "field" })
  return out
}

describe("malformed payloads for every command", () => {
  it("answer 4xx with a code and append nothing; never 5xx", async () => {
    await using api = await apiHarness()
    // A short lifecycle, so commands meet real state past their lookups.
    const modelId = await sampleTask(api.client, "T1")
    const nodes = [
      ["trainer0", "trainer"],
      ["trainer1", "trainer"],
      ["validator0", "validator"],
      ["validator1", "validator"],
      ["validator2", "validator"]
    ] as const
    for (const [id, role] of nodes) await registerNode(api.client, devKey(id), id, [role])
    for (const [id, role] of nodes) await joinTask(api.client, devKey(id), "T1", id, role)
    await api.client.command("StartRound", { taskId: "T1", round: 1 })
    const base = (await api.client.get("/events?aggregate=model")).events[1].data.weightsHash
    await api.client.as(devKey("trainer0")).command("SubmitResult", { taskId: "T1", round: 1, resultId: "T1-r1-trainer0", nodeId: "trainer0", proof: proofPayload(base) })

    // The accepted commands, as signed and received.
    const accepted = new Map<string, Record<string, unknown>>()
    for (const e of (await api.client.get("/events?limit=1000")).events as Array<{ metadata: { command?: { type: string; payload: Record<string, unknown> } } }>) {
      const command = e.metadata.command
      if (command && typeof command.payload === "object" && command.payload !== null) accepted.set(command.type, command.payload)
    }
    // Commands the short lifecycle does not reach (a dispute): well-formed payloads of their own to mutate.
    const h = (n: number) => `0x${n.toString(16).padStart(64, "0")}`
    const result = { taskId: "T1", round: 1, resultId: "T1-r1-trainer0" }
    for (const [type, payload] of [
      ["AnswerDispute", { ...result, nodeId: "trainer0", states: [{ weights: h(1), optimizer: h(2) }] }],
      ["CommitRuling", { ...result, nodeId: "validator0", commitment: h(3) }],
      ["RevealRuling", { ...result, nodeId: "validator0", rulings: [{ step: 1, leaf: h(4) }], salt: h(5) }]
    ] as const)
      if (!accepted.has(type)) accepted.set(type, payload)
    const spec = (await api.app.inject({ method: "GET", url: "/openapi.json" })).json() as { paths: Record<string, unknown> }
    const types = Object.keys(spec.paths)
      .map((p) => /^\/commands\/([A-Za-z]+)$/.exec(p)?.[1])
      .filter((t): t is string => t !== undefined)
    expect(types.length).toBeGreaterThan(20)
    expect(accepted.size).toBeGreaterThan(6)

    const signers: ReadonlyArray<KeyPair> = [api.keys.owner, devKey("trainer0")]
    const headOf = async () => (await api.client.get("/health")).headPosition as number
    const serverErrors: Array<string> = []
    let sent = 0
    let n = 0
    for (const type of types) {
      for (const payload of mutations(accepted.get(type) ?? {})) {
        for (const key of signers) {
          const before = await headOf()
          const body = signCommand(key, type, payload, { commandId: `fuzz-${n++}` })
          const r = await api.app.inject({ method: "POST", url: `/commands/${type}`, payload: body })
          sent++
          const problem = r.statusCode >= 400 ? (r.json() as { code?: string }) : undefined
          if (r.statusCode >= 500) serverErrors.push(`${type} ${JSON.stringify(payload).slice(0, 160)} -> ${r.statusCode} ${r.body.slice(0, 160)}`)
          else if (problem) {
            expect(problem.code, `${type} ${r.body}`).toMatch(/^[A-Z][A-Za-z]+$/)
            expect(await headOf(), `${type} refused with ${problem.code} but appended`).toBe(before)
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(1000)
    expect(serverErrors).toEqual([])
  }, 120_000)
})
