import { spawn } from "node:child_process"
import { describe, expect, it } from "vitest"

/** Run an entry point with an environment; resolves its exit code and output. */
const run = (script: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (c) => (output += c))
    child.stderr.on("data", (c) => (output += c))
    child.on("exit", (code) => resolve({ code, output }))
  })

describe("process entry points validate their configuration before anything else", () => {
  it("the API refuses a malformed variable with a message naming it (exit 2)", async () => {
    const r = await run("commands/main.ts", { API_PORT: "80a", ADMIN_ADDRESSES: "0xnope", NATS_URL: "nats://127.0.0.1:1" })
    expect(r.code).toBe(2)
    expect(r.output).toContain('API_PORT="80a"')
    expect(r.output).toContain("ADMIN_ADDRESSES")
  }, 60_000)

  it("a trainer refuses a missing identity with a message naming it (exit 2)", async () => {
    const r = await run("nodes/trainer/main.ts", { NODE_ID: "", NODE_SECRET: "", NODE_DEV_KEY: "", NATS_URL: "nats://127.0.0.1:1" })
    expect(r.code).toBe(2)
    expect(r.output).toContain("NODE_ID is required")
  }, 60_000)
})
