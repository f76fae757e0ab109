import type { FastifyInstance } from "fastify"
import { commandsTotal, registry } from "../../infra/metrics"

/**
 * `GET /metrics`: Prometheus text exposition of this API process (commands by
 * type and status, append latency, appends and hash-chain reseals, Node.js
 * process metrics). Added on the root instance, so its onResponse hook counts
 * every command route, whatever its outcome.
 */
export const metricsRoutes = (app: FastifyInstance) => {
  app.addHook("onResponse", async (request, reply) => {
    const type = /^\/commands\/([A-Za-z]+)$/.exec(request.routeOptions.url ?? "")?.[1]
    if (type) commandsTotal.inc({ type, status: String(reply.statusCode) })
  })
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", registry.contentType)
    return registry.metrics()
  })
}
