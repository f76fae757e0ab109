import { describe, expect, it } from "vitest"
import { devKey } from "../../../infra/identity/devKeys"
import { registerNode } from "../../../commands/samples"
import { failure } from "../../support/apiFailure"
import { apiHarness } from "../../support/apiHarness"

/** The counter's value in a Prometheus text exposition (0 when absent). */
const valueOf = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}

describe("GET /metrics", () => {
  it("counts every command answered, by type and status, in Prometheus text", async () => {
    await using api = await apiHarness()
    const before = await api.app.inject({ method: "GET", url: "/metrics" })
    expect(before.statusCode).toBe(200)
    expect(before.headers["content-type"]).toMatch(/^text\/plain/)
    const ok = 'neuralink_commands_total{type="RegisterNode",status="201"}'
    const conflict = 'neuralink_commands_total{type="RegisterNode",status="409"}'
    const [ok0, conflict0] = [valueOf(before.body, ok), valueOf(before.body, conflict)]

    const key = devKey("metered")
    await registerNode(api.client, key, "metered-1", ["trainer"])
    expect(await failure(registerNode(api.client, key, "metered-2", ["trainer"]))).toMatchObject({ status: 409 })

    const after = (await api.app.inject({ method: "GET", url: "/metrics" })).body
    expect(valueOf(after, ok)).toBe(ok0 + 1)
    expect(valueOf(after, conflict)).toBe(conflict0 + 1)
    for (const series of ["neuralink_appends_total", "neuralink_append_reseals_total", "neuralink_append_seconds", "neuralink_process_resident_memory_bytes"]) {
      expect(after).toContain(`# TYPE ${series}`)
    }
  })
})
