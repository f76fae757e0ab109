import { Effect, Schema, Stream } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { EventStore } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { verifyChain } from "../../infra/eventStore/hashChain"
import { readWholeLog } from "../../infra/eventStore/wholeLog"
import { InvalidRequest } from "../apiErrors"
import { runForRequest, type ApiRuntime } from "../runtime"

const encodeRecorded = Schema.encodeSync(RecordedEvent)


const positiveInt = (value: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidRequest({ detail: `${name} must be an integer in 1..${max}` })
  return n
}

/** Reading the raw log: health, a page of events in global order, the hash chain's verdict. */
export const logRoutes: FastifyPluginAsync<{ runtime: ApiRuntime }> = async (app, { runtime }) => {
  app.get("/health", async () => {
    const head = await runForRequest(runtime, EventStore.use((s) => s.headPosition))
    return { ok: true, headPosition: head }
  })

  app.get<{ Querystring: { from?: string; limit?: string; aggregate?: string } }>("/events", async (request) => {
    const from = positiveInt(request.query.from, "from", 1)
    const limit = positiveInt(request.query.limit, "limit", 100, 1000)
    const aggregate = request.query.aggregate
    const events = await runForRequest(
      runtime,
      EventStore.use((store) =>
        Stream.runCollect(store.readAll({ fromPosition: from, ...(aggregate ? { aggregate } : {}) }).pipe(Stream.take(limit)))
      )
    )
    const encoded = events.map((e) => encodeRecorded(e))
    const last = encoded[encoded.length - 1]
    return { events: encoded, next: last ? last.globalPosition + 1 : from }
  })

  app.get("/events/verify", async () => {
    const log = await runForRequest(runtime, EventStore.use((store) => readWholeLog(store)))
    // Foreign messages are outside the chain (the next commit links over them); listed, not fatal.
    return { ...verifyChain(log.events), foreignMessages: log.foreign }
  })
}
