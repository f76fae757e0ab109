import { Effect, Schema } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { fold } from "../../domain/decider"
import { scoring, scoringStream } from "../../domain/scoring"
import { ScoringNotFound } from "../../domain/scoring/errors"
import type { ScoringEvent } from "../../domain/scoring/events"
import { RecordedEvent } from "../../domain/recordedEvent"
import { history } from "../facts"
import { runForRequest, type ApiRuntime } from "../runtime"

const encode = Schema.encodeSync(RecordedEvent)

/** One scoring as the log has it: its status and every event of its stream (the request, the draw, commitments, reveals, the outcome). */
export const ScoringAnswer = Schema.Struct({
  scoringId: Schema.String,
  status: Schema.Literals(["requested", "judging", "scored", "failed"]),
  events: Schema.Array(RecordedEvent)
})

export const scoringRoutes: FastifyPluginAsync<{ runtime: ApiRuntime }> = async (app, { runtime }) => {
  app.get<{ Params: { scoringId: string } }>("/scorings/:scoringId", async (request) => {
    const { scoringId } = request.params
    const events = await runForRequest(runtime, history(scoringStream(scoringId)))
    const state = fold(scoring, events.map((e) => e.data as ScoringEvent))
    if (state.status === "none") return runForRequest(runtime, Effect.fail(new ScoringNotFound({ scoringId })))
    return { scoringId, status: state.status, events: events.map((e) => encode(e)) }
  })
}
