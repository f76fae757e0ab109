import { Effect, Fiber, Schema, Stream } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { EventStore } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { InvalidRequest } from "../apiErrors"
import type { ApiRuntime } from "../runtime"

const encode = Schema.encodeSync(RecordedEvent)

/** `Last-Event-ID` is `<globalPosition>.<indexInCommit>` of the last event the client has. */
const parseLastEventId = (raw: string | undefined): { globalPosition: number; indexInCommit: number } | undefined => {
  if (raw === undefined || raw === "") return undefined
  const m = /^(\d+)\.(\d+)$/.exec(raw)
  if (!m) throw new InvalidRequest({ detail: "Last-Event-ID must look like <globalPosition>.<indexInCommit>" })
  return { globalPosition: Number(m[1]), indexInCommit: Number(m[2]) }
}

/**
 * Live event streams over Server-Sent Events: `GET /models/:modelId/events`
 * and `GET /tasks/:taskId/events`. Catch-up from history, then live, as one
 * subscription (no gap between them, no duplicate). Resumable: send
 * `Last-Event-ID` (or `?lastEventId=`) and the stream continues right after
 * that event. Clients that speak NATS can subscribe to the raw subjects
 * `events.model.<modelId>` / `events.task.<taskId>` instead (one message per
 * commit: `{ "events": [envelope…] }`).
 */
export const streamRoutes: FastifyPluginAsync<{ runtime: ApiRuntime; heartbeatMs?: number }> = async (app, { runtime, heartbeatMs = 15_000 }) => {
  const serve = (aggregate: "model" | "task") => async (request: any, reply: any) => {
    const id = String(request.params.id)
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new InvalidRequest({ detail: `${aggregate} id is not valid` })
    const last = parseLastEventId(request.headers["last-event-id"] ?? request.query.lastEventId)
    const store = await runtime.runPromise(EventStore.useSync((s) => s))
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" })
    raw.write(`: ${aggregate}-${id}\n\n`)
    const after = (e: RecordedEvent) =>
      !last || e.globalPosition > last.globalPosition || (e.globalPosition === last.globalPosition && e.indexInCommit > last.indexInCommit)
    const fiber = Effect.runFork(
      Stream.runForEach(store.subscribe({ stream: `${aggregate}-${id}`, fromPosition: last?.globalPosition ?? 1 }), (e) =>
        Effect.sync(() => {
          if (!after(e)) return
          raw.write(`id: ${e.globalPosition}.${e.indexInCommit}\nevent: ${e.type}\ndata: ${JSON.stringify(encode(e))}\n\n`)
        })
      )
    )
    const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), heartbeatMs)
    request.raw.on("close", () => {
      clearInterval(heartbeat)
      Effect.runFork(Fiber.interrupt(fiber))
    })
  }
  app.get("/models/:id/events", serve("model"))
  app.get("/tasks/:id/events", serve("task"))
}
