import { describe, expect, it } from "vitest"
import { devKey, joinTask, registerNode, sampleTask, taskPayload } from "../../../commands/samples"
import { apiHarness } from "../../support/apiHarness"

/**
 * The read side's counterpart of malformedPayloads.spec: every GET the
 * OpenAPI document lists (live event streams aside: they never end), with
 * each path parameter and each declared query parameter set to values of
 * the wrong shape, answers below 500, and every error answer carries a code.
 */
type Operation = { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { content?: Record<string, unknown> }> }
type Doc = { paths: Record<string, Record<string, Operation>> }

const NASTY = ["", "-1", "0", "1.5", "1e308", "99999999999999999999999999", "abc", "%00", "..%2F..%2Fetc%2Fpasswd", "%F0%9F%92%A9", "x".repeat(3000), "0x" + "00".repeat(32), "[]", "{}", "true", "null"]

describe("malformed queries for every read", () => {
  it("answer below 500 with a code for any path or query parameter", async () => {
    await using api = await apiHarness()
    const modelId = await sampleTask(api.client, "T1")
    await registerNode(api.client, devKey("trainer0"), "trainer0", ["trainer"])
    await joinTask(api.client, devKey("trainer0"), "T1", "trainer0", "trainer")

    // The longest id the domain allows is readable (the router's default limit of 100 refused it).
    const longest = "T".repeat(128)
    await api.client.command("CreateTask", taskPayload(longest, modelId))
    const read = await api.app.inject({ method: "GET", url: `/tasks/${longest}?minPosition=1` })
    expect([read.statusCode, (read.json() as { task?: { taskId?: string } }).task?.taskId]).toEqual([200, longest])

    const doc = (await api.app.inject({ method: "GET", url: "/openapi.json" })).json() as Doc
    const reads = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get !== undefined)
      .filter(([, ops]) => !Object.values(ops.get!.responses).some((r) => r.content?.["text/event-stream"]))
    expect(reads.length).toBeGreaterThan(15)
    const serverErrors: Array<string> = []
    let sent = 0
    const get = async (url: string) => {
      const r = await api.app.inject({ method: "GET", url })
      sent++
      if (r.statusCode >= 500) serverErrors.push(`${url.slice(0, 200)} -> ${r.statusCode} ${r.body.slice(0, 200)}`)
      else if (r.statusCode >= 400) expect((r.json() as { code?: string }).code, `${url} ${r.body.slice(0, 200)}`).toMatch(/^[A-Z][A-Za-z]+$/)
    }
    const known: Record<string, string> = { taskId: "T1", modelId, nodeId: "trainer0", datasetId: "digits-train", version: "1" }
    for (const [template, ops] of reads) {
      const pathParams = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)
      const queryParams = (ops.get!.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name)
      const fill = (override: Record<string, string>) => template.replace(/\{([^}]+)\}/g, (_, name: string) => override[name] ?? known[name] ?? "x")
      for (const value of NASTY) {
        for (const name of pathParams) await get(fill({ [name]: value === "" ? "%20" : value }))
        for (const name of queryParams) await get(`${fill({})}?${name}=${value}`)
      }
      // Every query parameter at once, repeated (arrays where one value is expected).
      if (queryParams.length > 0) await get(`${fill({})}?${queryParams.map((q) => `${q}=1&${q}=2`).join("&")}`)
    }
    expect(sent).toBeGreaterThan(300)
    expect(serverErrors).toEqual([])
  }, 120_000)
})
