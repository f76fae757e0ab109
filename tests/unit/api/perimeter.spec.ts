import { describe, expect, it } from "vitest"
import { ApiError, type NeuraClient } from "../../../commands/client"
import { jsonDepth, MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../../../commands/jsonBody"
import { devKey } from "../../../infra/identity/devKeys"
import { signCommand } from "../../../infra/identity/signature"
import { registerModel, registerNode, sampleTopology, sha256Hex } from "../../../commands/samples"
import { apiHarness } from "../../support/apiHarness"

const head = async (client: NeuraClient) => (await client.get("/health")).headPosition as number
const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, code: e.problem.code, problem: e.problem }
    throw e
  }
  throw new Error("expected an API error")
}

describe("API perimeter: refused commands append nothing", () => {
  it("a stranger's ForkModel of unpublished work is 403 and allocates no model id", async () => {
    await using api = await apiHarness()
    const modelId = await registerModel(api.client)
    const before = await head(api.client)
    const refused = await failure(api.client.as(devKey("stranger")).command("ForkModel", { parent: { modelId, version: 1 }, name: "mine now" }))
    expect(refused).toMatchObject({ status: 403, code: "ForkNotAllowed" })
    expect(await head(api.client)).toBe(before)
    // The next registration gets the next number: no number was burned.
    expect(await registerModel(api.client)).toBe("M-2")
  })

  it("one key, one node: a second node id for the same key is 409 and appends nothing", async () => {
    await using api = await apiHarness()
    const key = devKey("sybil")
    await registerNode(api.client, key, "sybil-1", ["validator"])
    const before = await head(api.client)
    for (const nodeId of ["sybil-2", "sybil-3"]) {
      const r = await failure(registerNode(api.client, key, nodeId, ["validator"]))
      expect(r).toMatchObject({ status: 409, code: "NodeKeyAlreadyRegistered" })
      expect(r.problem.nodeId).toBe("sybil-1")
    }
    expect(await head(api.client)).toBe(before)
    // The same registration again is still an idempotent no-op, and another key may take another id.
    await registerNode(api.client, devKey("honest"), "sybil-2", ["validator"])
  })
})

describe("API perimeter: body limits", () => {
  it("a validly signed command over the body limit is 413 PayloadTooLarge with the limit, not a retryable 5xx", async () => {
    await using api = await apiHarness()
    const key = devKey("big")
    const before = await head(api.client)
    for (const size of [400 * 1024, 1024 * 1024]) {
      const body = signCommand(key, "RegisterNode", { nodeId: "big", publicKey: key.publicKey, roles: ["trainer"], capabilities: ["x".repeat(size)] })
      const r = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: body })
      expect(r.statusCode).toBe(413)
      expect(r.json()).toMatchObject({ code: "PayloadTooLarge", limitBytes: MAX_BODY_BYTES })
    }
    expect(await head(api.client)).toBe(before)
  })

  it("JSON nested 10,000 deep is 400 JsonTooDeep (no stack overflow, no 500)", async () => {
    await using api = await apiHarness()
    const deep = `{"commandId":"d","payload":${"[".repeat(10_000)}${"]".repeat(10_000)}}`
    const r = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", headers: { "content-type": "application/json" }, payload: deep })
    expect(r.statusCode).toBe(400)
    expect(r.json()).toMatchObject({ code: "JsonTooDeep", maxDepth: MAX_JSON_DEPTH })
    const malformed = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", headers: { "content-type": "application/json" }, payload: "{nope" })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().code).toBe("InvalidRequest")
  })

  it("jsonDepth ignores brackets inside strings and escaped quotes", () => {
    expect(jsonDepth('{"a":"[[[[\\"{{{{","b":[1,[2]]}')).toBe(3)
    expect(jsonDepth("[]")).toBe(1)
    expect(jsonDepth('"x"')).toBe(0)
  })
})
