import Fastify, { type FastifyInstance } from "fastify"
import { problemOf, sendProblem } from "./httpErrors"
import { logRoutes } from "./routes/log"
import type { ApiRuntime } from "./runtime"

/**
 * The HTTP API as a Fastify instance, not yet listening (main.ts listens;
 * tests use app.inject). Every error is problem-details with a `code`.
 */
export const build = (runtime: ApiRuntime, options: { logger?: boolean } = {}): FastifyInstance => {
  const app = Fastify({ logger: options.logger ?? false })
  app.setErrorHandler((error, _request, reply) => {
    // Fastify's own validation / parsing errors carry `validation` or a status.
    const fastifyError = error as { validation?: unknown; statusCode?: number; message: string; code?: string }
    if (fastifyError.validation || (fastifyError.statusCode && fastifyError.statusCode < 500 && !("_tag" in (error as object)))) {
      return sendProblem(reply, {
        type: "urn:neuralink:error:InvalidRequest",
        title: "Invalid Request",
        status: fastifyError.statusCode ?? 400,
        code: "InvalidRequest",
        detail: fastifyError.message
      })
    }
    const problem = problemOf(error)
    if (problem.status >= 500) reply.log.error({ err: error }, "request failed")
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { type: "urn:neuralink:error:NotFound", title: "Not Found", status: 404, code: "NotFound", detail: `${request.method} ${request.url}` })
  )
  app.register(logRoutes, { runtime })
  return app
}
