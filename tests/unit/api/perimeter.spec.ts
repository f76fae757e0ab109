import { describe, expect, it } from "vitest"
import type { NeuraClient } from "../../../commands/client"
import { jsonDepth, MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../../../commands/jsonBody"
import { devKey } from "../../../infra/identity/devKeys"
import { signCommand } from "../../../infra/identity/signature"
import { joinTask, registerDatasets, registerModel, registerNode, sha256Hex, taskPayload } from "../../../commands/samples"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import { failure } from "../../support/apiFailure"
import { apiHarness } from "../../support/apiHarness"

const head = async (client: NeuraClient) => (await client.get("/health")).headPosition as number

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

describe("API perimeter: finished tasks", () => {
  it("a command on an exhausted task answers 409 TaskClosed (not 500 'invalid status code')", async () => {
    await using api = await apiHarness()
    const modelId = await registerModel(api.client)
    await registerDatasets(api.client)
    const base = taskPayload("T1", modelId)
    await api.client.command("CreateTask", { ...base, criteria: { ...base.criteria, minTrainers: 1, validatorsPerResult: 1, quorum: 1, maxRounds: 1 } })
    const trainer = devKey("t-trainer")
    const validator = devKey("t-validator")
    await registerNode(api.client, trainer, "t-trainer", ["trainer"])
    await registerNode(api.client, validator, "t-validator", ["validator"])
    await joinTask(api.client, trainer, "T1", "t-trainer", "trainer")
    await joinTask(api.client, validator, "T1", "t-validator", "validator")
    await api.client.command("StartRound", { taskId: "T1", round: 1 })
    const closed = await api.client.command("CloseRound", { taskId: "T1", round: 1 })
    expect(closed.results[0]!.events.map((e) => e.type)).toContain("TaskExhausted")
    const before = await head(api.client)
    for (const attempt of [
      () => api.client.command("StartRound", { taskId: "T1", round: 2 }),
      () => api.client.as(devKey("late")).command("JoinTask", { taskId: "T1", nodeId: "t-trainer", role: "trainer" })
    ]) {
      const r = await failure(attempt())
      expect(r.status).toBe(409)
      expect(r.code).toBe("TaskClosed")
    }
    const r = await failure(api.client.command("StartRound", { taskId: "T1", round: 2 }))
    expect(r).toMatchObject({ status: 409, code: "TaskClosed" })
    expect(r.problem.taskStatus).toBe("exhausted")
    expect(await head(api.client)).toBe(before)
  })
})

describe("API perimeter: weights are content-addressed and write-once", () => {
  it("stores bytes only under their own hash, never replaces them, and refuses a mismatch", async () => {
    const weights = inMemoryWeightsStore()
    await using api = await apiHarness(undefined, { weights })
    const key = devKey("uploader")
    const good = new Uint8Array([1, 2, 3])
    const name = `sha256-${sha256Hex(good).slice(2)}`
    const put = (bytes: Uint8Array, as = key) => {
      const signed = signCommand(as, "UploadWeights", { name, bytes: bytes.length }, { commandId: name })
      return api.app.inject({
        method: "PUT",
        url: `/weights/${name}`,
        headers: { "content-type": "application/octet-stream", "neura-signer": signed.signer, "neura-issued-at": signed.issuedAt, "neura-signature": signed.signature },
        payload: Buffer.from(bytes)
      })
    }
    // Other bytes under this name, correctly signed: refused, nothing stored.
    const forged = await put(new Uint8Array([9, 9, 9]))
    expect([forged.statusCode, forged.json().code]).toEqual([400, "WeightsHashMismatch"])
    expect(await weights.has(sha256Hex(good))).toBe(false)
    expect((await put(good)).statusCode).toBe(201)
    // A second upload (by anyone) changes nothing.
    const again = await put(good, devKey("someone-else"))
    expect([again.statusCode, again.json().stored]).toEqual([200, false])
    expect([...(await weights.get(sha256Hex(good)))]).toEqual([1, 2, 3])
    const read = await api.app.inject({ method: "GET", url: `/weights/${name}` })
    expect([...read.rawPayload]).toEqual([1, 2, 3])
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
