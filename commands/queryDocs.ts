import { Schema } from "effect"
import { jsonResponse, jsonSchema, problems } from "./openapiParts"
import {
  Alive,
  AuditReport,
  Ready,
  ChainVerification,
  EventsPage,
  Health,
  ReadModelAnswer,
  ReadModelDoc,
  Rebuilt,
  SigningInfo,
  WeightsStored
} from "./responses"
import { SignedCommand } from "./signedCommand"
import { BalanceDoc, LeaderboardDoc, ModelDoc, NodeDoc, TaskDoc } from "../projections/documents"
import { MAX_WEIGHTS_BYTES } from "./routes/weights"
import { ClaimAnswer, EscrowAccountAnswer, SettlementInfo } from "./routes/settlements"

/**
 * OpenAPI entries for everything that is not a command: queries, the log,
 * proofs, streams, audit, admin, weights, signing. Answers come from the
 * schemas in commands/responses.ts; read-model documents are the schemas the
 * projections' own types derive from (projections/documents.ts).
 */
const q = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({ name, in: "query", required: false, schema, description })
const p = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } })
const minPosition = q("minPosition", "wait up to 5 s until the read models reflect this global position (read your own write)", { type: "integer", minimum: 0 })
const paging = [q("limit", "page size (1..500, default 50)", { type: "integer" }), q("after", "return items after this id (the previous page's `next`)")]
const sse = { description: "text/event-stream: `id: <globalPosition>.<indexInCommit>`, `event: <type>`, `data: <envelope>`", content: { "text/event-stream": { schema: { type: "string" } } } }

const op = (operationId: string, summary: string, tag: string, parameters: Array<unknown>, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  operationId,
  summary,
  tags: [tag],
  parameters,
  responses,
  ...extra
})
/** A read-model query: 200, or 400 (bad parameter), 404, 503 ProjectionBehind, 500. */
const query = (operationId: string, summary: string, parameters: Array<unknown>, ok: Schema.Top) => ({
  get: op(operationId, summary, "queries", [...parameters, minPosition], { "200": jsonResponse("the answer", ok), ...problems([400, 404, 500, 503]) })
})
const doc = (name: string, schema: Schema.Top) => ReadModelAnswer({ [name]: schema })
const page = (item: Schema.Top) => ReadModelAnswer({ items: Schema.Array(item), next: Schema.NullOr(Schema.String) })

export const queryPaths: Record<string, unknown> = {
  "/tasks": query("listTasks", "Tasks: status, rounds, budget left, participants", [q("status", "open | running | completed | exhausted"), ...paging], page(TaskDoc)),
  "/tasks/{taskId}": query("getTask", "One task", [p("taskId")], doc("task", TaskDoc)),
  "/tasks/{taskId}/leaderboard": query("getLeaderboard", "Who earned what in a task, whose results were verified", [p("taskId")], doc("leaderboard", LeaderboardDoc)),
  "/models": query("listModels", "Models", paging, page(ModelDoc)),
  "/models/{modelId}": query("getModel", "A model: versions with lineage, forks, datasets, participants, metric log, governance", [p("modelId")], doc("model", ModelDoc)),
  "/models/{modelId}/lineage": query(
    "getLineage",
    "Lineage graph of a model, its fork ancestors and descendants",
    [p("modelId")],
    ReadModelAnswer({ nodes: Schema.Array(ReadModelDoc), edges: Schema.Array(ReadModelDoc) })
  ),
  "/nodes": query("listNodes", "Nodes with reputation (sort=reputation for the best first)", [q("sort", "id (default) | reputation"), ...paging], page(NodeDoc)),
  "/nodes/{nodeId}": query("getNode", "A node: results, votes, earnings, reputation", [p("nodeId")], doc("node", NodeDoc)),
  "/balances": query("listBalances", "Neura balances and payouts per address", paging, page(BalanceDoc)),
  "/balances/{address}": query("getBalance", "One address: earned, refunded, escrowed, bonded, withdrawn, slashed, net, payouts", [p("address")], doc("balance", BalanceDoc)),
  "/settlement": {
    get: op("settlement", "Where Neura are deposited and claimed: token, escrow, registry and anchor contracts on which chain (mode chain), or mode declared", "chain", [], {
      "200": jsonResponse("the settlement contracts", SettlementInfo)
    })
  },
  "/escrow/{account}": {
    get: op("getEscrowAccount", "An escrow account (task:<taskId> or stake:<nodeId>): the deposits the bridge recorded and the settlements posted from it", "chain", [p("account")], {
      "200": jsonResponse("the account", EscrowAccountAnswer),
      ...problems([400, 500, 503])
    })
  },
  "/settlements/{settlement}": {
    get: op("getSettlement", "A posted settlement (settle:task:<taskId> or settle:withdrawal:<nodeId>:<n>): claims, debits, burned, Merkle root, transaction", "chain", [p("settlement")], {
      "200": jsonResponse("the settlement", Schema.Record(Schema.String, Schema.Unknown)),
      ...problems([400, 404, 500, 503])
    })
  },
  "/settlements/{settlement}/claims/{payee}": {
    get: op("getClaim", "One payee's claim with its Merkle proof, the arguments of NeuraEscrow.claim", "chain", [p("settlement"), p("payee")], {
      "200": jsonResponse("the claim", ClaimAnswer),
      ...problems([400, 404, 500, 503])
    })
  },
  "/health": { get: op("health", "Liveness and the log's head position", "log", [], { "200": jsonResponse("ok", Health), ...problems([500, 503]) }) },
  "/ui": {
    get: op("dashboard", "The dashboard: tasks and rounds, the objective's metric per round, the lineage graph, nodes, balances, on-chain anchors with an in-browser proof check", "ui", [], {
      "200": { description: "the page", content: { "text/html": { schema: { type: "string" } } } }
    })
  },
  "/ui/{file}": {
    get: op("dashboardFile", "The dashboard's own files (app.js, merkle.js, style.css)", "ui", [p("file")], {
      "200": { description: "the file", content: { "text/javascript": { schema: { type: "string" } }, "text/css": { schema: { type: "string" } } } },
      ...problems([404])
    })
  },
  "/ui/vendor/noble-hashes/{file}": {
    get: op("dashboardVendorFile", "@noble/hashes' ES modules for keccak-256 in the browser (sha3.js, _u64.js, utils.js)", "ui", [p("file")], {
      "200": { description: "the module", content: { "text/javascript": { schema: { type: "string" } } } },
      ...problems([404])
    })
  },
  "/metrics": {
    get: op("metrics", "Prometheus metrics of this API process: commands by type and status, append latency, appends, hash-chain reseals", "log", [], {
      "200": { description: "Prometheus text exposition format 0.0.4", content: { "text/plain": { schema: { type: "string" } } } }
    })
  },
  "/healthz": { get: op("healthz", "Liveness: the process answers", "log", [], { "200": jsonResponse("alive", Alive) }) },
  "/readyz": {
    get: op("readyz", "Readiness: the log answers (within 2 s) and the read models trail it by at most 1,000 commits", "log", [], {
      "200": jsonResponse("ready", Ready),
      ...problems([500, 503], { 503: ["EventStoreUnavailable", "ProjectionBehind"] })
    })
  },
  "/signing": { get: op("signing", "How commands are signed: scheme, domain (chain id), message, digest, signature encoding", "log", [], { "200": jsonResponse("the signing rules", SigningInfo) }) },
  "/events": {
    get: op(
      "readLog",
      "The log in global order (encoded envelopes), paged by cursor",
      "log",
      [
        q("from", "a commit position (649) or the previous page's `next` cursor (648.4)", { type: "string", pattern: "^[1-9][0-9]*(\\.[0-9]+)?$" }),
        q("limit", "1..1000 (default 100)", { type: "integer" }),
        q("aggregate", "only this aggregate's events")
      ],
      { "200": jsonResponse("a page of events", EventsPage), ...problems([400, 500, 503]) }
    )
  },
  "/events/verify": {
    get: op("verifyChain", "Verify the hash chain over the whole log (foreign messages listed); rate-limited", "log", [], {
      "200": jsonResponse("verification", ChainVerification),
      ...problems([429, 500, 503])
    })
  },
  "/events/{position}/proof": {
    get: op("proveEvent", "Merkle inclusion proof of an anchored event (checkable with viem alone and on-chain)", "chain", [p("position"), q("index", "index in commit (default 0)", { type: "integer" })], {
      "200": jsonResponse("the proof", Schema.Record(Schema.String, Schema.Unknown)),
      ...problems([400, 404, 500, 503])
    })
  },
  "/results/{resultId}/proof": {
    get: op(
      "proveResult",
      "Parameter Tracker: every event of a result (the trainer's signed submission and claimed metrics, the judges' signed votes, the verdict with consensus metrics), each with its signed command and its inclusion proof against the anchored root; neura verify-result checks it against the chain",
      "chain",
      [p("resultId")],
      { "200": jsonResponse("the proofs", Schema.Record(Schema.String, Schema.Unknown)), ...problems([404, 500, 503]) }
    )
  },
  "/models/{modelId}/events": {
    get: op("streamModel", "Server-Sent Events of a model's stream: catch-up then live; resume with Last-Event-ID (<globalPosition>.<indexInCommit>)", "streams", [p("modelId"), q("lastEventId", "same as the Last-Event-ID header")], {
      "200": sse,
      ...problems([400, 404, 500, 503])
    })
  },
  "/tasks/{taskId}/events": {
    get: op("streamTask", "Server-Sent Events of a task's stream: catch-up then live; resume with Last-Event-ID", "streams", [p("taskId"), q("lastEventId", "same as the Last-Event-ID header")], {
      "200": sse,
      ...problems([400, 404, 500, 503])
    })
  },
  "/audit": {
    get: op("audit", "Replay the whole log into fresh read models; check chain, signatures, decoding; diff with the live read models; rate-limited", "audit", [], {
      "200": jsonResponse("the audit report", AuditReport),
      ...problems([429, 500, 503])
    })
  },
  "/audit/projections": {
    get: op("liveReadModels", "The live read models as kept (what grows every round, such as payouts and versions, in pages of 256; the other routes serve plain lists) and the position they reflect; rate-limited", "audit", [], {
      "200": jsonResponse("snapshot", Schema.Struct({ position: Schema.Number, collections: Schema.Record(Schema.String, Schema.Unknown) })),
      ...problems([429, 500])
    })
  },
  "/admin/projections/rebuild": {
    post: op(
      "rebuildProjections",
      "Rebuild every read model from the log (signed RebuildProjections command, payload {}, by an ADMIN_ADDRESSES identity); single-flight; rate-limited",
      "admin",
      [],
      { "200": jsonResponse("rebuilt and serving", Rebuilt), ...problems([400, 401, 403, 429, 500, 503]) },
      { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(SignedCommand, { closed: true }) } } } }
    )
  },
  "/weights/{name}": {
    put: op(
      "uploadWeights",
      `Store weights under sha256-<hex of their SHA-256> (application/octet-stream, at most ${MAX_WEIGHTS_BYTES} bytes); never overwrites. Signed like a command (type UploadWeights, commandId = name, payload { name, bytes }) in the headers neura-signer, neura-issued-at, neura-signature`,
      "weights",
      [p("name"), ...["neura-signer", "neura-issued-at", "neura-signature"].map((h) => ({ name: h, in: "header", required: true, schema: { type: "string" } }))],
      {
        "201": jsonResponse("stored", WeightsStored),
        "200": jsonResponse("already stored (same name, hence same bytes)", WeightsStored),
        ...problems([400, 401, 413, 500, 503])
      },
      { requestBody: { required: true, content: { "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream" } } } } }
    ),
    get: op("getWeights", "Weights by content address", "weights", [p("name")], {
      "200": { description: "the bytes (their SHA-256 is the name)", content: { "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream" } } } },
      ...problems([400, 404, 500, 503])
    })
  },
  "/openapi.json": { get: op("openapi", "This document", "docs", [], { "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } } }) },
  "/docs": { get: op("docs", "Interactive API documentation (Swagger UI, served offline)", "docs", [], { "200": { description: "HTML", content: { "text/html": { schema: { type: "string" } } } } }) }
}
