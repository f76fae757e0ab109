import { describe, expect, it } from "vitest"
import { apiSettings } from "../../commands/settings"
import { ConfigInvalid, readConfig } from "../../infra/config"
import { nodeSettings } from "../../nodes/infra/nodeProcess"

const problemsOf = (read: () => unknown): ReadonlyArray<string> => {
  try {
    read()
  } catch (e) {
    if (e instanceof ConfigInvalid) return e.problems
    throw e
  }
  return []
}

describe("process configuration from the environment", () => {
  it("applies the documented defaults", () => {
    const config = readConfig(apiSettings, { env: {} })
    expect(config).toMatchObject({ API_PORT: 8080, API_HOST: "127.0.0.1", API_LOG: true, SNAPSHOTS: "on", CHAIN_ID: 31337, COORDINATOR_ADDRESSES: [] })
    expect(config.CHAIN_RPC_URL).toBeUndefined()
  })

  it("parses what is set", () => {
    const a = `0x${"ab".repeat(20)}`
    const config = readConfig(apiSettings, { env: { API_PORT: "9090", API_LOG: "false", ADMIN_ADDRESSES: ` ${a.toUpperCase().replace("0X", "0x")} ,`, CHAIN_RPC_URL: "http://127.0.0.1:8545" } })
    expect(config).toMatchObject({ API_PORT: 9090, API_LOG: false, ADMIN_ADDRESSES: [a], CHAIN_RPC_URL: "http://127.0.0.1:8545" })
  })

  it("names every malformed variable at once (a typo never becomes NaN or a silent default)", () => {
    const problems = problemsOf(() =>
      readConfig(apiSettings, { env: { API_PORT: "80a", API_LOG: "yes", CHAIN_ID: "-1", BRIDGE_ADDRESSES: "0xnope", CHAIN_RPC_URL: "not a url", SNAPSHOTS: "maybe", SIGNATURE_WORKERS: "two", HASH_CHECK_WORKERS: "-1" } })
    )
    // The thread pools' settings too: they are read where the pools start, and checked with the API's at its start.
    expect(new Set(problems.map((p) => p.split("=")[0]))).toEqual(
      new Set(["API_PORT", "API_LOG", "SNAPSHOTS", "BRIDGE_ADDRESSES", "CHAIN_ID", "CHAIN_RPC_URL", "SIGNATURE_WORKERS", "HASH_CHECK_WORKERS"])
    )
    expect(problems[0]).toContain('API_PORT="80a" must be an integer in 1..65535')
  })

  it("refuses a missing required variable, naming it", () => {
    expect(problemsOf(() => readConfig(nodeSettings, { env: {}, required: ["NODE_ID"] }))).toEqual([expect.stringContaining("NODE_ID is required")])
    expect(problemsOf(() => readConfig(nodeSettings, { env: { NODE_ID: "a b" }, required: ["NODE_ID"] }))[0]).toContain("NODE_ID")
    expect(problemsOf(() => readConfig(nodeSettings, { env: { NODE_ID: "n1", NODE_SECRET: "0x12" } }))[0]).toContain("NODE_SECRET")
  })
})
