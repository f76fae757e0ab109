import { describe, expect, it } from "vitest"
import type { NeuraClient } from "../../../commands/client"
import { signCommand } from "../../../infra/identity/signature"
import { commitAndReveal, devKey, joinTask, proofPayload, registerModel, registerNode, sampleEvidence, sampleTask, sha256Hex, taskPayload } from "../../../commands/samples"
import { failure } from "../../support/apiFailure"
import { apiHarness } from "../../support/apiHarness"

const head = async (client: NeuraClient) => (await client.get("/health")).headPosition as number

const trainers = [devKey("trainerA"), devKey("trainerB")]
const validators = [devKey("validator1"), devKey("validator2"), devKey("validator3")]

/** Model, datasets, task, five nodes joined: the common start of the lifecycle specs. */
const readyTask = async (client: NeuraClient) => {
  const modelId = await sampleTask(client, "T1")
  for (const [i, key] of trainers.entries()) {
    await registerNode(client, key, `trainer${i}`, ["trainer"])
    await joinTask(client, key, "T1", `trainer${i}`, "trainer")
  }
  for (const [i, key] of validators.entries()) {
    await registerNode(client, key, `validator${i}`, ["validator"])
    await joinTask(client, key, "T1", `validator${i}`, "validator")
  }
  return modelId
}

describe("Command API: signatures, idempotency, errors", () => {
  it("registers a node from a signed command and stores the signature for the audit", async () => {
    await using api = await apiHarness()
    const key = devKey("trainerA")
    const r = await registerNode(api.client, key, "trainerA", ["trainer"])
    expect(r.duplicate).toBe(false)
    const event = r.results[0]!.events[0] as any
    expect(event.type).toBe("NodeRegistered")
    expect(event.data.address).toBe(key.address)
    expect(event.metadata.actor).toBe(key.address)
    expect(event.metadata.signature).toMatch(/^0x[0-9a-f]{130}$/)
    expect(event.metadata.command).toMatchObject({ type: "RegisterNode", payload: { nodeId: "trainerA" } })
  })

  it("a replayed command appends nothing and answers the first result (200, Idempotent-Replayed)", async () => {
    await using api = await apiHarness()
    const key = devKey("trainerA")
    const body = signCommand(key, "RegisterNode", { nodeId: "trainerA", publicKey: key.publicKey, roles: ["trainer"], capabilities: [] })
    const first = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: body })
    expect(first.statusCode).toBe(201)
    const before = await head(api.client)
    const replay = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: body })
    expect(replay.statusCode).toBe(200)
    expect(replay.headers["idempotent-replayed"]).toBe("true")
    expect(replay.json().results[0].events).toEqual(first.json().results[0].events)
    expect(await head(api.client)).toBe(before)
  })

  it("refuses a tampered payload, a wrong signer, an expired or future command (401) and stores nothing", async () => {
    await using api = await apiHarness()
    const key = devKey("trainerA")
    const body = signCommand(key, "RegisterNode", { nodeId: "trainerA", publicKey: key.publicKey, roles: ["trainer"], capabilities: [] })
    const tampered = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: { ...body, payload: { ...(body.payload as object), roles: ["validator"] } } })
    expect([tampered.statusCode, tampered.json().code]).toEqual([401, "InvalidSignature"])
    const otherSigner = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: { ...body, signer: devKey("x").address } })
    expect([otherSigner.statusCode, otherSigner.json().code]).toEqual([401, "InvalidSignature"])
    // A signature for one command type cannot be replayed as another.
    const asOther = await api.app.inject({ method: "POST", url: "/commands/RegisterDataset", payload: body })
    expect(asOther.statusCode).toBe(401)
    const old = signCommand(key, "RegisterNode", body.payload, { issuedAt: new Date(Date.now() - 10 * 60_000).toISOString() })
    const expired = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: old })
    expect([expired.statusCode, expired.json().code]).toEqual([401, "SignatureExpired"])
    const future = signCommand(key, "RegisterNode", body.payload, { issuedAt: new Date(Date.now() + 10 * 60_000).toISOString() })
    expect((await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: future })).statusCode).toBe(401)
    expect(await head(api.client)).toBe(0)
  })

  it("refuses bad bodies and payloads with 400 InvalidRequest and stores nothing", async () => {
    await using api = await apiHarness()
    const key = devKey("trainerA")
    const badJson = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", headers: { "content-type": "application/json" }, payload: "{nope" })
    expect([badJson.statusCode, badJson.json().code]).toEqual([400, "InvalidRequest"])
    const noEnvelope = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: { nodeId: "x" } })
    expect([noEnvelope.statusCode, noEnvelope.json().code]).toEqual([400, "InvalidRequest"])
    const badPayload = await failure(api.client.as(key).command("RegisterNode", { nodeId: "bad id!", publicKey: "0x12", roles: [], capabilities: [] }))
    expect(badPayload).toMatchObject({ status: 400, code: "InvalidRequest" })
    expect(String(badPayload.problem.detail)).toContain("nodeId")
    const typo = await failure(api.client.as(key).command("RegisterNode", { nodeId: "n", publicKey: key.publicKey, roles: ["trainer"], capabilities: [], rolez: [] }))
    expect(typo).toMatchObject({ status: 400, code: "InvalidRequest" })
    expect(String(typo.problem.detail)).toContain("rolez")
    const floatMoney = await failure(api.client.command("CreateTask", { ...taskPayload("T1", "M-1"), budget: 10.5 }))
    expect(floatMoney).toMatchObject({ status: 400, code: "InvalidRequest" })
    const body = signCommand(key, "RegisterNode", { nodeId: "n", publicKey: key.publicKey, roles: ["trainer"], capabilities: [] })
    const mismatch = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", headers: { "idempotency-key": "other" }, payload: body })
    expect([mismatch.statusCode, mismatch.json().code]).toEqual([400, "InvalidRequest"])
    // 33 bytes that are no curve point (x = 5: x³ + 7 is not a square): no address derives from them.
    const offCurve = await api.app.inject({
      method: "POST",
      url: "/commands/RegisterNode",
      payload: signCommand(key, "RegisterNode", { nodeId: "n", publicKey: `0x02${"00".repeat(31)}05`, roles: ["trainer"], capabilities: [] })
    })
    expect([offCurve.statusCode, offCurve.json().code]).toEqual([400, "InvalidPublicKey"])
    const unknownRoute = await api.app.inject({ method: "POST", url: "/commands/LaunchRocket", payload: body })
    expect([unknownRoute.statusCode, unknownRoute.json().code]).toEqual([404, "NotFound"])
    expect(await head(api.client)).toBe(0)
  })

  it("maps domain errors to 403 / 404 / 409 problems with stable codes", async () => {
    await using api = await apiHarness()
    const key = devKey("trainerA")
    // Registering someone else's key: 403.
    expect(await failure(api.client.as(key).command("RegisterNode", { nodeId: "n1", publicKey: devKey("other").publicKey, roles: ["trainer"], capabilities: [] }))).toMatchObject({
      status: 403,
      code: "SignerIsNotNodeKey"
    })
    await registerNode(api.client, key, "n1", ["trainer"])
    expect(await failure(api.client.as(key).command("JoinTask", { taskId: "nope", nodeId: "n1", role: "trainer" }))).toMatchObject({ status: 404, code: "TaskNotFound" })
    expect(await failure(api.client.as(key).command("JoinTask", { taskId: "nope", nodeId: "ghost", role: "trainer" }))).toMatchObject({ status: 404, code: "NodeNotFound" })
    const again = await failure(api.client.as(key).command("RegisterNode", { nodeId: "n1", publicKey: key.publicKey, roles: ["trainer"], capabilities: [] }))
    expect(again).toMatchObject({ status: 409, code: "NodeAlreadyRegistered" })
    expect(again.problem).toMatchObject({ nodeId: "n1", detail: "NodeAlreadyRegistered: nodeId=n1" })
    expect(again.problem.type).toBe("urn:neuralink:error:NodeAlreadyRegistered")
  })

  it("retries optimistic-concurrency conflicts server-side: parallel joins all land", async () => {
    await using api = await apiHarness()
    const modelId = await sampleTask(api.client, "T1")
    const keys = [0, 1, 2, 3, 4].map((i) => devKey(`p${i}`))
    for (const [i, k] of keys.entries()) await registerNode(api.client, k, `p${i}`, ["trainer"])
    await Promise.all(keys.map((k, i) => joinTask(api.client, k, "T1", `p${i}`, "trainer")))
    const events = (await api.client.get("/events?aggregate=task")).events
    expect(events.filter((e: any) => e.type === "NodeJoinedTask").length).toBe(5)
  })

  it("serves an OpenAPI document generated from the command schemas", async () => {
    await using api = await apiHarness()
    const doc = (await api.app.inject({ method: "GET", url: "/openapi.json" })).json()
    for (const type of ["RegisterNode", "RegisterDataset", "SubmitData", "ReviewDataSubmission", "CreateTask", "JoinTask", "StartRound", "DispatchTraining", "SubmitResult", "CastVerificationVote", "CloseRound", "RegisterModel", "ForkModel", "CreateModelVersion", "OpenProposal", "CastProposalVote", "CloseProposal"]) {
      expect(doc.paths[`/commands/${type}`]?.post?.operationId).toBe(type)
    }
    const createTask = doc.paths["/commands/CreateTask"].post.requestBody.content["application/json"].schema
    expect(createTask.properties.payload.properties.budget.type).toBe("string")
    expect(createTask.properties.payload.required).toContain("criteria")
    // Swagger UI, its assets served from the package (no network), over this document.
    expect((await api.app.inject({ method: "GET", url: "/docs" })).body).toContain("Swagger UI")
    expect((await api.app.inject({ method: "GET", url: "/docs/json" })).json().paths["/commands/CreateTask"]).toBeDefined()
    expect((await api.app.inject({ method: "GET", url: "/docs/static/swagger-ui-bundle.js" })).statusCode).toBe(200)
    // The read side is documented too, and every documented GET path is a real route.
    for (const path of ["/tasks", "/tasks/{taskId}", "/models/{modelId}/lineage", "/nodes", "/balances/{address}", "/events/{position}/proof", "/tasks/{taskId}/events", "/audit"]) {
      expect(doc.paths[path]?.get?.operationId, path).toBeDefined()
    }
    // That every documented operation is a real route, answering as documented: openapiContract.spec.ts.
  })
})

describe("Command API: the task lifecycle over HTTP", () => {
  it("create → join → start → submit → votes → new version → close pays out and continues", async () => {
    await using api = await apiHarness()
    const modelId = await readyTask(api.client)
    expect(modelId).toBe("M-1")
    const base = (await api.client.get("/events?aggregate=model")).events.find((e: any) => e.type === "ModelVersionCreated").data.weightsHash
    await api.client.command("StartRound", { taskId: "T1", round: 1 })
    const proof = proofPayload(base)
    const r1 = "T1-r1-trainer0"
    expect(await failure(api.client.as(trainers[0]!).command("SubmitResult", { taskId: "T1", round: 1, resultId: "lucky", nodeId: "trainer0", proof }))).toMatchObject({
      status: 400,
      code: "ResultIdNotDerived"
    })
    const submitted = await api.client.as(trainers[0]!).command("SubmitResult", { taskId: "T1", round: 1, resultId: r1, nodeId: "trainer0", proof })
    // Anyone may ask for the draw; its seed is the hash of the entry that recorded the result.
    const drawn = await api.client.as(api.keys.stranger).command("DrawValidators", { taskId: "T1", round: 1, resultId: r1 })
    const requested = drawn.results[0]!.events[0]!.data
    expect(requested.seed).toBe(submitted.results[0]!.events[0]!.hash)
    expect(requested.validators).toHaveLength(3)
    expect(requested.validators).not.toContain("trainer0")
    const evidence = sampleEvidence(proof, requested.audit)
    const reveals = []
    for (const nodeId of requested.validators) {
      const key = validators[Number(String(nodeId).replace("validator", ""))]!
      reveals.push(await commitAndReveal(api.client, key, { taskId: "T1", round: 1, resultId: r1, nodeId, verdict: "accept", measured: { accuracy: 0.85, loss: 0.5 }, evidence }))
    }
    for (const reveal of reveals.slice(0, 2)) await reveal!()
    const version = await api.client.as(api.keys.coordinator).command("CreateModelVersion", {
      modelId,
      parentVersion: 1,
      weightsHash: sha256Hex("aggregated v2"),
      lineage: { taskId: "T1", round: 1, results: [r1], datasets: ["digits-train"], nodes: ["trainer0"] },
      metrics: { accuracy: 0.85, loss: 0.5 }
    })
    expect(version.results[0]!.events[0]!.data.version).toBe(2)
    const closed = await api.client.as(api.keys.coordinator).command("CloseRound", {
      taskId: "T1",
      round: 1,
      newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.85, loss: 0.5 } }
    })
    const types = closed.results[0]!.events.map((e) => e.type)
    // Validators and the data provider now; the trainer's reward is held through the challenge window.
    expect(types.filter((t) => t === "RewardAllocated").length).toBe(3)
    expect(types.filter((t) => t === "RewardHeld").length).toBe(1)
    // The third judge committed and never revealed: listed, unpaid.
    expect(closed.results[0]!.events.find((e) => e.type === "RoundClosed")!.data.unrevealed).toHaveLength(1)
    expect(types.slice(-2)).toEqual(["RoundClosed", "TaskContinued"])
    const paid = closed.results[0]!.events.filter((e) => e.type === "RewardAllocated").map((e) => BigInt(e.data.amount))
    const held = closed.results[0]!.events.filter((e) => e.type === "RewardHeld").map((e) => BigInt(e.data.amount))
    expect([...paid, ...held].reduce((a, b) => a + b, 0n)).toBe(1_000_000n)
    expect(await failure(api.client.command("FinalizeResult", { taskId: "T1", resultId: r1 }))).toMatchObject({ status: 409, code: "NotFinalYet" })

    // Everything is in the log, in order, and the chain verifies.
    const all = (await api.client.get("/events?limit=1000")).events
    expect(all.map((e: any) => e.globalPosition)).toEqual([...all.map((e: any) => e.globalPosition)].sort((a, b) => a - b))
    expect((await api.client.get("/events/verify")).ok).toBe(true)
  })

  it("illegal transitions over HTTP: wrong signer 403, not running 409, stranger closing 403", async () => {
    await using api = await apiHarness()
    await readyTask(api.client)
    const base = sha256Hex("initial weights")
    expect(
      await failure(api.client.as(trainers[0]!).command("SubmitResult", { taskId: "T1", round: 1, resultId: "T1-r1-trainer0", nodeId: "trainer0", proof: proofPayload(base) }))
    ).toMatchObject({ status: 409, code: "RoundNotRunning" })
    expect(await failure(api.client.as(api.keys.stranger).command("StartRound", { taskId: "T1", round: 1 }))).toMatchObject({ status: 403, code: "NotTaskOwner" })
    await api.client.as(api.keys.coordinator).command("StartRound", { taskId: "T1", round: 1 })
    expect(
      await failure(api.client.as(trainers[1]!).command("SubmitResult", { taskId: "T1", round: 1, resultId: "T1-r1-trainer0", nodeId: "trainer0", proof: proofPayload(base) }))
    ).toMatchObject({ status: 403, code: "NotNodeKey" })
    expect(await failure(api.client.as(api.keys.stranger).command("CloseRound", { taskId: "T1", round: 1 }))).toMatchObject({ status: 403, code: "NotTaskOwner" })
  })

  it("forks a model into M-2 and records the branch on the parent", async () => {
    await using api = await apiHarness()
    const modelId = await registerModel(api.client)
    const forked = await api.client.command("ForkModel", { parent: { modelId, version: 1 }, name: "branch" })
    expect(forked.results.map((r) => r.stream)).toEqual(["model-M-2", "model-M-1"])
    expect(forked.results[1]!.events[0]!.type).toBe("ModelForked")
    expect(await failure(api.client.as(api.keys.stranger).command("ForkModel", { parent: { modelId, version: 1 }, name: "theft" }))).toMatchObject({
      status: 403,
      code: "ForkNotAllowed"
    })
  })
})
