import { Ajv2020 } from "ajv/dist/2020.js"
import { describe, expect, it } from "vitest"
import { registeredRoutes } from "../../../commands/app"
import { injectTransport, NeuraClient } from "../../../commands/client"
import { proofPayload, registerDatasets, registerModel, registerNode, sha256Hex, taskPayload } from "../../../commands/samples"
import { apiShardWriter, apiWeightsWriter } from "../../../commands/weightsClient"
import { devKey } from "../../../infra/identity/devKeys"
import { signCommand } from "../../../infra/identity/signature"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import { apiHarness } from "../../support/apiHarness"

/**
 * The OpenAPI document is the contract outsiders hold the server to: walk
 * every documented operation with real requests (good and bad), and check
 * each observed status is declared for it and each JSON body validates
 * against the declared schema. Every registered route must be documented.
 */
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>; components: { schemas: Record<string, object> } }

const templateOf = (doc: Doc, method: string, url: string): string | undefined => {
  const path = url.split("?")[0]!
  return Object.keys(doc.paths).find((template) => {
    if (!doc.paths[template]![method]) return false
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`)
    return re.test(path)
  })
}

describe("the OpenAPI document matches the server", () => {
  it("every operation, walked with good and bad requests, answers only declared statuses with bodies that match their schemas", async () => {
    await using api = await apiHarness(undefined, { weights: inMemoryWeightsStore(), wholeLogRateLimit: { max: 1, timeWindowMs: 60_000 } })
    const doc = (await api.app.inject({ method: "GET", url: "/openapi.json" })).json() as Doc
    // The schemas carry their string patterns (a signature's, a digest's), so bodies are checked against them too.
    for (const pattern of ["^0x[0-9a-f]{130}$", "^0x[0-9a-f]{64}$", "^[A-Za-z0-9_.:-]{1,100}$"]) expect(JSON.stringify(doc)).toContain(JSON.stringify(pattern))
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
    ajv.addSchema({ $id: "neura", components: doc.components })
    const resolve = (schema: object) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"neura#/components/'))
    const exercised = new Set<string>()
    const failures: Array<string> = []

    const check = async (method: "GET" | "POST" | "PUT", url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const template = templateOf(doc, method.toLowerCase(), url)
      if (!template) return failures.push(`${method} ${url}: not documented`)
      exercised.add(`${method} ${template}`)
      const r = await api.app.inject({
        method,
        url,
        headers: body === undefined ? headers : { "content-type": body instanceof Uint8Array ? "application/octet-stream" : "application/json", ...headers },
        ...(body === undefined ? {} : { payload: body instanceof Uint8Array ? Buffer.from(body) : typeof body === "string" ? body : JSON.stringify(body) })
      })
      const declared = doc.paths[template]![method.toLowerCase()]!.responses[String(r.statusCode)]
      if (!declared) return failures.push(`${method} ${url}: status ${r.statusCode} not declared (${r.body.slice(0, 120)})`)
      const type = String(r.headers["content-type"] ?? "").split(";")[0]!
      const content = declared.content?.[type]
      if (!content) return failures.push(`${method} ${url}: ${r.statusCode} answered ${type}, declared ${Object.keys(declared.content ?? {}).join(", ")}`)
      if (type.endsWith("json")) {
        const validate = ajv.compile(resolve(content.schema))
        if (!validate(r.json())) failures.push(`${method} ${url}: ${r.statusCode} body does not match: ${ajv.errorsText(validate.errors)}`)
      }
      return r
    }
    const command = (key: ReturnType<typeof devKey>, type: string, payload: unknown, commandId?: string) =>
      check("POST", `/commands/${type}`, signCommand(key, type, payload, commandId ? { commandId } : {}))

    // Commands: a lifecycle (201s and an idempotent 200), then refusals of every kind.
    const owner = api.keys.owner
    const client = new NeuraClient(injectTransport(api.app), owner)
    const modelId = await registerModel(client)
    await registerDatasets(client)
    await command(owner, "CreateTask", taskPayload("T1", modelId), "create-t1")
    await command(owner, "CreateTask", taskPayload("T1", modelId), "create-t1")
    const nodes = ["trainer0", "trainer1", "validator0", "validator1", "validator2"].map((id) => ({ id, key: devKey(`oa-${id}`) }))
    for (const n of nodes) {
      await registerNode(client, n.key, n.id, [n.id.startsWith("trainer") ? "trainer" : "validator"])
      await command(n.key, "BondStake", { nodeId: n.id, amount: "10000" })
      await command(n.key, "JoinTask", { taskId: "T1", nodeId: n.id, role: n.id.startsWith("trainer") ? "trainer" : "validator" })
    }
    await command(owner, "StartRound", { taskId: "T1", round: 1 })
    const base = (await client.get("/events?aggregate=model")).events.find((e: { type: string }) => e.type === "ModelVersionCreated").data.weightsHash
    await command(nodes[0]!.key, "SubmitResult", { taskId: "T1", round: 1, resultId: "T1-r1-trainer0", nodeId: "trainer0", proof: proofPayload(base) })
    await command(owner, "DrawValidators", { taskId: "T1", round: 1, resultId: "T1-r1-trainer0" })
    await command(owner, "RequestScoring", { modelId, version: 1, datasetId: "digits-val" })
    for (const spec of Object.keys(doc.paths).filter((p) => p.startsWith("/commands/"))) {
      const type = spec.slice("/commands/".length)
      await check("POST", spec, { nope: true }) // 400: not an envelope
      await check("POST", spec, { ...signCommand(owner, type, {}), signature: `0x${"11".repeat(64)}1b` }) // 401
      await command(devKey("stranger"), type, { taskId: "T1", modelId, nodeId: "trainer0", datasetId: "nope" }) // 400 payload
      await command(devKey("stranger"), type, { taskId: "T1", modelId, nodeId: "trainer0", datasetId: "nope" }) // and again
    }
    await command(devKey("stranger"), "StartRound", { taskId: "T1", round: 2 }) // 403
    await command(owner, "StartRound", { taskId: "nope", round: 1 }) // 404
    await command(owner, "StartRound", { taskId: "T1", round: 1 }) // 409
    await check("POST", "/commands/RegisterNode", `{"a":${"[".repeat(100)}${"]".repeat(100)}}`) // 400 JsonTooDeep
    await check("POST", "/commands/RegisterNode", { x: "y".repeat(200_000) }) // 413
    await command(devKey("bridge-impostor"), "RecordAnchor", { chainId: 31337, contract: `0x${"12".repeat(20)}`, index: 0, fromPosition: 1, toPosition: 2, eventCount: 2, root: sha256Hex("r"), txHash: sha256Hex("t"), blockNumber: 1 }) // 503: no chain configured

    // Read side, log, proofs, streams, audit (second call: 429), admin, weights, signing, metrics, docs.
    for (const url of ["/tasks", "/tasks?status=bogus", "/tasks/T1", "/tasks/nope", "/tasks/T1/leaderboard", "/models", `/models/${modelId}`, `/models/${modelId}/lineage`, "/models/M-404", "/nodes", "/nodes?sort=reputation", "/nodes/trainer0", "/balances", `/balances/${owner.address}`, "/balances/0xnope", "/tasks/T1?minPosition=1", "/tasks?limit=0"]) {
      await check("GET", url)
    }
    for (const url of ["/health", "/healthz", "/readyz", "/metrics", "/signing", "/events", "/events?from=2.1&limit=3", "/events?from=x", "/events/verify", "/events/verify", "/events/1/proof", "/events/x/proof", "/audit", "/audit", "/audit/projections", "/audit/projections", "/tasks/nope/events", "/models/nope/events", "/tasks/T1/events?lastEventId=bad", "/openapi.json"]) {
      await check("GET", url)
    }
    await check("POST", "/admin/projections/rebuild", signCommand(api.keys.admin, "RebuildProjections", {}))
    await check("POST", "/admin/projections/rebuild", signCommand(api.keys.admin, "RebuildProjections", {}))
    await check("POST", "/admin/projections/rebuild", { nope: 1 })
    const weights = new Uint8Array([1, 2, 3, 4])
    const writer = apiWeightsWriter(injectTransport(api.app), owner)
    const hash = await writer.put(weights)
    const name = `sha256-${hash.slice(2)}`
    exercised.add("PUT /weights/{name}")
    const signed = signCommand(owner, "UploadWeights", { name, bytes: 4 }, { commandId: name })
    const headers = { "neura-signer": signed.signer, "neura-issued-at": signed.issuedAt, "neura-signature": signed.signature }
    await check("PUT", `/weights/${name}`, weights, headers) // 200: already stored
    await check("PUT", `/weights/sha256-${"0".repeat(64)}`, weights, headers) // 401 (signed for another name)
    await check("PUT", "/weights/not-a-hash", weights, headers) // 400
    await check("GET", `/weights/${name}`)
    await check("GET", `/weights/sha256-${"0".repeat(64)}`)
    const shard = new TextEncoder().encode("1,2,3\n")
    const shardName = `sha256-${(await apiShardWriter(injectTransport(api.app), owner).put(shard)).slice(2)}`
    exercised.add("PUT /datasets/shards/{name}")
    const signedShard = signCommand(owner, "UploadShard", { name: shardName, bytes: shard.length }, { commandId: shardName })
    const shardHeaders = { "neura-signer": signedShard.signer, "neura-issued-at": signedShard.issuedAt, "neura-signature": signedShard.signature }
    await check("PUT", `/datasets/shards/${shardName}`, shard, shardHeaders) // 200: already stored
    await check("PUT", `/datasets/shards/${shardName}`, shard, headers) // 401: signed as weights for another name
    await check("GET", `/datasets/shards/${shardName}`)
    await check("GET", `/datasets/shards/sha256-${"0".repeat(64)}`)
    await check("GET", "/workloads")
    // Settlement reads (this API settles nothing on chain: declared), escrow accounts, settlements, a result's proofs.
    for (const url of ["/settlement", "/escrow/task:T1", "/escrow/bogus", "/settlements/settle:task:T1", "/settlements/bogus", `/settlements/settle:task:T1/claims/${owner.address}`, "/results/T1-r1-trainer0/proof", "/results/nope/proof"]) {
      await check("GET", url)
    }
    await command(devKey("bridge-impostor"), "RecordDeposit", { chainId: 31337, contract: `0x${"12".repeat(20)}`, account: "task:T1", depositor: owner.address, amount: "5", txHash: sha256Hex("t"), logIndex: 0, blockNumber: 1 }) // 403
    await check("GET", `/scorings/${modelId}-v1-digits-val`)
    for (const url of ["/ui", "/ui/app.js", "/ui/style.css", "/ui/nope.js", "/ui/vendor/noble-hashes/sha3.js", "/ui/vendor/noble-hashes/nope.js"]) await check("GET", url)
    await check("GET", `/models/${modelId}/versions/1/weights`)
    await check("GET", `/models/${modelId}/versions/9/weights`) // 404
    await check("GET", "/models/nope/versions/1/weights") // 400
    await check("GET", "/scorings/M-404-v1-nope") // 404
    await check("GET", "/scorings/not.a.stream") // 400
    await check("POST", "/models/M-1/versions/1/generate", { prompt: "Call me", maxTokens: 5, temperature: 0, seed: 1 }) // 404: no such model
    await check("POST", "/models/M-1/versions/1/generate", { prompt: "Call me", maxTokens: 0, temperature: 0, seed: 1 }) // 400
    await check("POST", "/models/nope/versions/x/generate", {}) // 400
    await check("POST", "/models/M-1/versions/1/episodes", { seed: 3 }) // 404: no such model
    await check("POST", "/models/M-1/versions/1/episodes", { seed: -3 }) // 400
    await check("GET", "/models/M-1/versions/1/export") // 404: no such model
    await check("GET", "/models/nope/versions/1/export") // 400
    const ui = await api.app.inject({ method: "GET", url: "/docs" })
    expect([200, 302]).toContain(ui.statusCode)
    exercised.add("GET /docs")
    // SSE success answers stream forever: their 200 is checked by the SSE tests on JetStream.
    exercised.add("GET /tasks/{taskId}/events").add("GET /models/{modelId}/events")

    expect(failures).toEqual([])
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    expect(operations.filter((o) => !exercised.has(o))).toEqual([])
    // And nothing is served that the document does not describe (Swagger UI's own assets aside).
    const undocumented = registeredRoutes(api.app)
      .filter((r) => r.method !== "HEAD" && !r.url.startsWith("/docs/"))
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, "{$1}")}`)
      .filter((r) => !operations.some((o) => o.replace(/\{[^}]+\}/g, "{}") === r.replace(/\{[^}]+\}/g, "{}")))
    expect(undocumented).toEqual([])
    // And every documented operation is a registered route (not the router's 404).
    const shape = (r: string) => r.replace(/\{[^}]+\}/g, "{}")
    const served = new Set(registeredRoutes(api.app).map((r) => shape(`${r.method} ${r.url.replace(/:([A-Za-z]+)/g, "{$1}")}`)))
    expect(operations.filter((o) => !served.has(shape(o)))).toEqual([])
  }, 60_000)
})
