import { Effect, Fiber, Option, Schema, Stream } from "effect"
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify"
import { once } from "node:events"
import type { ServerResponse } from "node:http"
import { ModelNotFound } from "../../domain/model/errors"
import { EventStore } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { TaskNotFound } from "../../domain/task/errors"
import { InvalidRequest } from "../apiErrors"
import { runForRequest, type ApiRuntime } from "../runtime"

const encode = Schema.encodeSync(RecordedEvent)

/** `Last-Event-ID` is `<globalPosition>.<indexInCommit>` of the last event the client has. */
const parseLastEventId = (raw: string | undefined): { globalPosition: number; indexInCommit: number } | undefined => {
  if (raw === undefined || raw === "") return undefined
  const m = /^(\d{1,15})\.(\d{1,6})$/.exec(raw)
  if (!m) throw new InvalidRequest({ detail: "Last-Event-ID must look like <globalPosition>.<indexInCommit>" })
  return { globalPosition: Number(m[1]), indexInCommit: Number(m[2]) }
}

/** A client whose socket buffer stays full this long is disconnected (it cannot keep up). */
const SLOW_CLIENT_MS = 30_000

/**
 * Live event streams over Server-Sent Events: `GET /models/:modelId/events`
 * and `GET /tasks/:taskId/events`. Catch-up from history, then live, as one
 * subscription (no gap between them, no duplicate). Resumable: send
 * `Last-Event-ID` (or `?lastEventId=`) and the stream continues right after
 * that event. Clients that speak NATS can subscribe to the raw subjects
 * `events.model.<modelId>` / `events.task.<taskId>` instead (one message per
 * commit: `{ "events": [envelope…] }`).
 *
 * Each connection holds one log subscription, released the moment the client
 * goes away (or the server closes); writes wait for the socket to drain, so a
 * slow client slows its own subscription, never the server's memory.
 */
export const streamRoutes: FastifyPluginAsync<{ runtime: ApiRuntime; heartbeatMs?: number }> = async (app, { runtime, heartbeatMs = 15_000 }) => {
  const open = new Set<() => void>()
  // Open streams never hold up shutdown: close them first.
  app.addHook("preClose", async () => {
    for (const close of [...open]) close()
  })

  const serve = (aggregate: "model" | "task") => async (request: FastifyRequest<{ Params: { id: string }; Querystring: { lastEventId?: string } }>, reply: FastifyReply) => {
    const id = String(request.params.id)
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new InvalidRequest({ detail: `${aggregate} id is not valid` })
    const header = request.headers["last-event-id"]
    const last = parseLastEventId((typeof header === "string" ? header : undefined) ?? request.query.lastEventId)
    const stream = `${aggregate}-${id}`
    // An unknown task or model is a 404, not an empty stream that never ends.
    const first = await runForRequest(runtime, EventStore.use((store) => Stream.runHead(store.readAll({ stream }))))
    if (Option.isNone(first)) throw aggregate === "task" ? new TaskNotFound({ taskId: id }) : new ModelNotFound({ modelId: id })
    const store = await runtime.runPromise(EventStore.useSync((s) => s))

    reply.hijack()
    const raw: ServerResponse = reply.raw
    raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" })
    const after = (e: RecordedEvent) =>
      !last || e.globalPosition > last.globalPosition || (e.globalPosition === last.globalPosition && e.indexInCommit > last.indexInCommit)
    /** Write, and when the socket's buffer is full wait for it to drain (or give up on a client that never reads). */
    const send = (text: string) =>
      raw.write(text)
        ? Effect.void
        : Effect.promise(() =>
            Promise.race([
              once(raw, "drain").then(() => undefined),
              new Promise<void>((resolve) => setTimeout(() => (raw.destroy(), resolve()), SLOW_CLIENT_MS).unref())
            ])
          )
    const fiber = Effect.runFork(
      Effect.andThen(
        send(`: ${stream}\n\n`),
        Stream.runForEach(store.subscribe({ stream, fromPosition: last?.globalPosition ?? 1 }), (e) =>
          after(e) ? send(`id: ${e.globalPosition}.${e.indexInCommit}\nevent: ${e.type}\ndata: ${JSON.stringify(encode(e))}\n\n`) : Effect.void
        )
      )
    )
    const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), heartbeatMs)
    let closed = false
    const close = () => {
      if (closed) return
      closed = true
      open.delete(close)
      clearInterval(heartbeat)
      // Interrupting the fiber stops the log subscription (its consumer is deleted).
      Effect.runFork(Fiber.interrupt(fiber))
      if (!raw.writableEnded) raw.end()
    }
    open.add(close)
    raw.on("close", close)
    fiber.addObserver(() => close())
  }
  app.get("/models/:id/events", serve("model"))
  app.get("/tasks/:id/events", serve("task"))
}
