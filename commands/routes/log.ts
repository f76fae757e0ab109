import { Schema, Stream } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { EventStore } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { verifyWholeLog } from "../../infra/eventStore/wholeLog"
import { InvalidRequest } from "../apiErrors"
import { runForRequest, type ApiRuntime } from "../runtime"

const encodeRecorded = Schema.encodeSync(RecordedEvent)


const positiveInt = (value: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidRequest({ detail: `${name} must be an integer in 1..${max}` })
  return n
}

/** `649` (a commit position) or `648.4` (a position and the index of an event in that commit). */
const parseCursor = (value: string | undefined): { position: number; index: number } => {
  if (value === undefined) return { position: 1, index: 0 }
  const m = /^([1-9][0-9]{0,15})(?:\.([0-9]{1,6}))?$/.exec(value)
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new InvalidRequest({ detail: "from must be a position (649) or a cursor from `next` (648.4)" })
  return { position: Number(m[1]), index: m[2] === undefined ? 0 : Number(m[2]) }
}

/** Reading the raw log: health, a page of events in global order, the hash chain's verdict. */
export const logRoutes: FastifyPluginAsync<{ runtime: ApiRuntime; wholeLog: { max: number; timeWindow: number } }> = async (app, { runtime, wholeLog }) => {
  app.get("/health", async () => {
    const head = await runForRequest(runtime, EventStore.use((s) => s.headPosition))
    return { ok: true, headPosition: head }
  })

  /**
   * A page of the log in global order. `from` is a commit position (`649`) or
   * the cursor `next` of the previous page (`648.4`: commit 648 from its
   * event 4), so a page may end inside a commit and the next one resumes
   * exactly there: no event is dropped or repeated.
   */
  app.get<{ Querystring: { from?: string; limit?: string; aggregate?: string } }>("/events", async (request) => {
    const from = parseCursor(request.query.from)
    const limit = positiveInt(request.query.limit, "limit", 100, 1000)
    const aggregate = request.query.aggregate
    const events = await runForRequest(
      runtime,
      EventStore.use((store) =>
        Stream.runCollect(
          store.readAll({ fromPosition: from.position, ...(aggregate ? { aggregate } : {}) }).pipe(
            Stream.filter((e) => e.globalPosition > from.position || e.indexInCommit >= from.index),
            Stream.take(limit)
          )
        )
      )
    )
    const encoded = events.map((e) => encodeRecorded(e))
    const last = encoded[encoded.length - 1]
    return { events: encoded, next: last ? `${last.globalPosition}.${last.indexInCommit + 1}` : `${from.position}.${from.index}` }
  })

  app.get("/events/verify", { config: { rateLimit: wholeLog } }, async () => {
    // Verified as it is read, the hashing on another thread (wholeLog.ts): the API goes on serving
    // meanwhile. Foreign messages are outside the chain (the next commit links over them); listed, not fatal.
    return runForRequest(runtime, EventStore.use((store) => verifyWholeLog(store)))
  })
}
