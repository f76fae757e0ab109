/**
 * OpenAPI entries for the read side (queries, log, proofs, streams, audit).
 * Their answers are read-model documents (projections/*.ts define them);
 * every answer carries `position`, the global position it reflects.
 */
const problem = { $ref: "#/components/schemas/Problem" }
const json = (description: string, properties: Record<string, unknown> = {}) => ({
  description,
  content: { "application/json": { schema: { type: "object", properties: { position: { type: "integer", description: "global position the answer reflects" }, ...properties } } } }
})
const errors = {
  "400": { description: "invalid query parameter", content: { "application/problem+json": { schema: problem } } },
  "404": { description: "not found", content: { "application/problem+json": { schema: problem } } },
  "503": { description: "ProjectionBehind: minPosition not reached within 5 s", content: { "application/problem+json": { schema: problem } } }
}
const q = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({ name, in: "query", required: false, schema, description })
const p = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } })
const minPosition = q("minPosition", "wait until the read models reflect this global position (read your own write)", { type: "integer", minimum: 0 })
const paging = [q("limit", "page size (1..500, default 50)", { type: "integer" }), q("after", "return items after this id (the previous page's `next`)")]

const get = (operationId: string, summary: string, tag: string, parameters: Array<unknown>, ok: unknown) => ({
  get: { operationId, summary, tags: [tag], parameters, responses: { "200": ok, ...errors } }
})

export const queryPaths: Record<string, unknown> = {
  "/tasks": get("listTasks", "Tasks: status, rounds, budget left, participants", "queries", [q("status", "open | running | completed | exhausted"), ...paging, minPosition], json("a page of tasks", { items: { type: "array" }, next: { type: ["string", "null"] } })),
  "/tasks/{taskId}": get("getTask", "One task", "queries", [p("taskId"), minPosition], json("the task", { task: { type: "object" } })),
  "/tasks/{taskId}/leaderboard": get("getLeaderboard", "Who earned what in a task, whose results were verified", "queries", [p("taskId"), minPosition], json("the leaderboard", { leaderboard: { type: "object" } })),
  "/models": get("listModels", "Models", "queries", [...paging, minPosition], json("a page of models", { items: { type: "array" }, next: { type: ["string", "null"] } })),
  "/models/{modelId}": get("getModel", "A model: versions with lineage, forks, datasets, participants, metric log, governance", "queries", [p("modelId"), minPosition], json("the model", { model: { type: "object" } })),
  "/models/{modelId}/lineage": get("getLineage", "Lineage graph of a model, its fork ancestors and descendants", "queries", [p("modelId"), minPosition], json("the graph", { nodes: { type: "array" }, edges: { type: "array" } })),
  "/nodes": get("listNodes", "Nodes with reputation (sort=reputation for the best first)", "queries", [q("sort", "id (default) | reputation"), ...paging, minPosition], json("a page of nodes", { items: { type: "array" }, next: { type: ["string", "null"] } })),
  "/nodes/{nodeId}": get("getNode", "A node: results, votes, earnings, reputation", "queries", [p("nodeId"), minPosition], json("the node", { node: { type: "object" } })),
  "/balances": get("listBalances", "Neura balances and payouts per address", "queries", [...paging, minPosition], json("a page of balances", { items: { type: "array" }, next: { type: ["string", "null"] } })),
  "/balances/{address}": get("getBalance", "One address: earned, refunded, escrowed, net, payouts", "queries", [p("address"), minPosition], json("the balance", { balance: { type: "object" } })),
  "/health": get("health", "Liveness and the log's head position", "log", [], json("ok", { ok: { type: "boolean" }, headPosition: { type: "integer" } })),
  "/events": get("readLog", "The log in global order (encoded envelopes)", "log", [q("from", "first global position", { type: "integer" }), q("limit", "1..1000", { type: "integer" }), q("aggregate", "only this aggregate's events")], json("a page of events", { events: { type: "array" }, next: { type: "integer" } })),
  "/events/verify": get("verifyChain", "Verify the hash chain over the whole log", "log", [], json("verification", { ok: { type: "boolean" }, verified: { type: "integer" } })),
  "/events/{position}/proof": get("proveEvent", "Merkle inclusion proof of an anchored event (checkable with viem alone and on-chain)", "chain", [p("position"), q("index", "index in commit (default 0)", { type: "integer" })], json("the proof", { event: { type: "object" }, leaf: { type: "string" }, proof: { type: "array" }, root: { type: "string" }, anchor: { type: "object" } })),
  "/models/{modelId}/events": get("streamModel", "Server-Sent Events of a model's stream: catch-up then live; resume with Last-Event-ID (<globalPosition>.<indexInCommit>)", "streams", [p("modelId"), q("lastEventId", "same as the Last-Event-ID header")], { description: "text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } }),
  "/tasks/{taskId}/events": get("streamTask", "Server-Sent Events of a task's stream: catch-up then live; resume with Last-Event-ID", "streams", [p("taskId"), q("lastEventId", "same as the Last-Event-ID header")], { description: "text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } }),
  "/audit": get("audit", "Replay the whole log into fresh read models; check chain, signatures, decoding; diff with the live read models", "audit", [], json("the audit report", { ok: { type: "boolean" }, problems: { type: "array" } })),
  "/audit/projections": get("liveReadModels", "The live read models and the position they reflect", "audit", [], json("snapshot", { collections: { type: "object" } }))
}
