import { Effect, Schema } from "effect"
import type { FastifyPluginAsync, FastifyRequest } from "fastify"
import { EventStore, EventStoreUnavailable } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { readWholeLog } from "../../infra/eventStore/wholeLog"
import { auditLog } from "../../projections/audit"
import { auditPrechecks } from "../../projections/auditPrechecks"
import { servedBalance, type StoredBalance } from "../../projections/balances"
import type { LeaderboardDoc } from "../../projections/leaderboards"
import { lineageGraph, servedModel, type StoredModel } from "../../projections/models"
import { servedNode, type StoredNode } from "../../projections/nodes"
import type { Projector } from "../../projections/projector"
import type { TaskDoc } from "../../projections/tasks"
import { InvalidRequest } from "../apiErrors"
import { runForRequest, type ApiRuntime } from "../runtime"

/** How far (in commits) the read models may trail the log for the API to call itself ready. */
const READY_LAG = 1_000

export class ProjectionBehind extends Schema.TaggedError<ProjectionBehind>()("ProjectionBehind", {
  minPosition: Schema.Number,
  position: Schema.Number
}) {}
export class NotFoundInReadModel extends Schema.TaggedError<NotFoundInReadModel>()("NotFound", { resource: Schema.String, id: Schema.String }) {}

const encodeAll = Schema.encodeSync(Schema.Array(RecordedEvent))

interface Page {
  limit?: string
  after?: string
  minPosition?: string
}

const intParam = (value: string | undefined, name: string, fallback: number, min: number, max: number) => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidRequest({ detail: `${name} must be an integer in ${min}..${max}` })
  return n
}

/**
 * Read models over HTTP. Every answer says which global position it
 * reflects (`position`); `?minPosition=<n>` waits (up to 5 s) until the read
 * models have applied position n — pass a command response's
 * `globalPosition` to read your own write. Lists page by id: `?limit=&after=`.
 */
export const queryRoutes: FastifyPluginAsync<{
  runtime: ApiRuntime
  projector: () => Projector
  /** Rate limit of the whole-log routes (/audit, /audit/projections). */
  wholeLog: { max: number; timeWindow: number }
}> = async (app, { runtime, projector, wholeLog }) => {
  const limited = { config: { rateLimit: wholeLog } }
  const at = async (request: FastifyRequest<{ Querystring: Page }>) => {
    const p = projector()
    const min = request.query.minPosition === undefined ? 0 : intParam(request.query.minPosition, "minPosition", 0, 0, Number.MAX_SAFE_INTEGER)
    if (min > 0 && !(await p.waitFor(min, 5000))) throw new ProjectionBehind({ minPosition: min, position: p.models.checkpoint })
    return p.models
  }
  const page = <D>(items: Array<D>, key: (d: D) => string, query: Page) => {
    const limit = intParam(query.limit, "limit", 50, 1, 500)
    const sorted = items.sort((a, b) => (key(a) < key(b) ? -1 : 1)).filter((d) => query.after === undefined || key(d) > query.after)
    const slice = sorted.slice(0, limit)
    return { items: slice, next: sorted.length > limit ? key(slice[slice.length - 1]!) : null }
  }
  const one = <D>(doc: D | undefined, resource: string, id: string): D => {
    if (!doc) throw new NotFoundInReadModel({ resource, id })
    return doc
  }

  app.get<{ Querystring: Page & { status?: string } }>("/tasks", async (request) => {
    const models = await at(request)
    const items = models.list<TaskDoc>("tasks").filter((t) => !request.query.status || t.status === request.query.status)
    return { position: models.checkpoint, ...page(items, (t) => t.taskId, request.query) }
  })
  app.get<{ Params: { taskId: string }; Querystring: Page }>("/tasks/:taskId", async (request) => {
    const models = await at(request)
    return { position: models.checkpoint, task: one(models.read<TaskDoc>("tasks", request.params.taskId), "task", request.params.taskId) }
  })
  app.get<{ Params: { taskId: string }; Querystring: Page }>("/tasks/:taskId/leaderboard", async (request) => {
    const models = await at(request)
    return { position: models.checkpoint, leaderboard: one(models.read<LeaderboardDoc>("leaderboards", request.params.taskId), "leaderboard", request.params.taskId) }
  })
  app.get<{ Querystring: Page }>("/models", async (request) => {
    const models = await at(request)
    const { items, next } = page(models.list<StoredModel>("models"), (m) => m.modelId, request.query)
    return { position: models.checkpoint, items: items.map(servedModel), next }
  })
  app.get<{ Params: { modelId: string }; Querystring: Page }>("/models/:modelId", async (request) => {
    const models = await at(request)
    return { position: models.checkpoint, model: servedModel(one(models.read<StoredModel>("models", request.params.modelId), "model", request.params.modelId)) }
  })
  app.get<{ Params: { modelId: string }; Querystring: Page }>("/models/:modelId/lineage", async (request) => {
    const models = await at(request)
    // The model, its ancestors through forks, and its descendant forks.
    const family = new Map<string, StoredModel>()
    const visit = (id: string) => {
      const m = models.read<StoredModel>("models", id)
      if (!m || family.has(id)) return
      family.set(id, m)
      if (m.origin.kind === "fork") visit(m.origin.parent.modelId)
      for (const f of m.forks) visit(f.modelId)
    }
    visit(one(models.read<StoredModel>("models", request.params.modelId), "model", request.params.modelId).modelId)
    return { position: models.checkpoint, ...lineageGraph([...family.values()].map(servedModel)) }
  })
  app.get<{ Querystring: Page & { sort?: string } }>("/nodes", async (request) => {
    const models = await at(request)
    const items = models.list<StoredNode>("nodes")
    if (request.query.sort === "reputation") {
      const limit = intParam(request.query.limit, "limit", 50, 1, 500)
      const best = items.sort((a, b) => b.reputation - a.reputation || (a.nodeId < b.nodeId ? -1 : 1)).slice(0, limit)
      return { position: models.checkpoint, items: best.map(servedNode), next: null }
    }
    const { items: pageItems, next } = page(items, (n) => n.nodeId, request.query)
    return { position: models.checkpoint, items: pageItems.map(servedNode), next }
  })
  app.get<{ Params: { nodeId: string }; Querystring: Page }>("/nodes/:nodeId", async (request) => {
    const models = await at(request)
    return { position: models.checkpoint, node: servedNode(one(models.read<StoredNode>("nodes", request.params.nodeId), "node", request.params.nodeId)) }
  })
  app.get<{ Querystring: Page }>("/balances", async (request) => {
    const models = await at(request)
    const { items, next } = page(models.list<StoredBalance>("balances"), (b) => b.address, request.query)
    return { position: models.checkpoint, items: items.map(servedBalance), next }
  })
  app.get<{ Params: { address: string }; Querystring: Page }>("/balances/:address", async (request) => {
    const models = await at(request)
    const address = request.params.address.toLowerCase()
    return { position: models.checkpoint, balance: servedBalance(one(models.read<StoredBalance>("balances", address), "balance", address)) }
  })

  /** Liveness: the process answers. */
  app.get("/healthz", async () => ({ ok: true }))
  /**
   * Readiness: the log answers and the read models are at most READY_LAG
   * commits behind it; else 503 (EventStoreUnavailable / ProjectionBehind).
   * Recovers by itself when NATS comes back (connections reconnect forever).
   */
  app.get("/readyz", async () => {
    const headPosition = await runForRequest(
      runtime,
      EventStore.use((s) => s.headPosition).pipe(
        Effect.timeout("2 seconds"),
        Effect.catchTag("TimeoutError", () => Effect.fail(new EventStoreUnavailable({ reason: "the log did not answer within 2 s" })))
      )
    )
    const projectedPosition = projector().models.checkpoint
    if (headPosition - projectedPosition > READY_LAG) throw new ProjectionBehind({ minPosition: headPosition, position: projectedPosition })
    return { ready: true, headPosition, projectedPosition }
  })
  /** The live read models as JSON (what the audit compares a replay with). */
  app.get("/audit/projections", limited, async () => projector().models.snapshot())
  /** Replay the whole log into fresh read models and check chain, signatures and read models. */
  app.get("/audit", limited, async () => {
    const live = projector().models.snapshot()
    const log = await runForRequest(runtime, EventStore.use((s) => readWholeLog(s)))
    // Hashes and signatures on worker threads first: the API serves meanwhile.
    return auditLog(encodeAll(log.events), live, log.foreign, await auditPrechecks(log.events))
  })
}
