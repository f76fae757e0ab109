import { Effect, Result, Schema } from "effect"
import { fold, type Decider } from "../domain/decider"
import type { DomainEvent } from "../domain/events"
import { EventStore, type AppendResult } from "../domain/ports"
import type { EventMetadata, RecordedEvent } from "../domain/recordedEvent"

export class ConcurrencyRetriesExhausted extends Schema.TaggedError<ConcurrencyRetriesExhausted>()("ConcurrencyRetriesExhausted", {
  stream: Schema.String,
  attempts: Schema.Number
}) {}

export interface CommandOutcome {
  readonly stream: string
  readonly globalPosition: number
  readonly nextExpectedRevision: number
  readonly events: ReadonlyArray<RecordedEvent>
  /** True when this command had already been handled: nothing new was appended. */
  readonly duplicate: boolean
}

const MAX_ATTEMPTS = 8

/**
 * Emmett's command-handling loop: read the stream, fold it, decide, append
 * with the revision we read. A concurrent writer makes the append fail with
 * WrongExpectedVersion; then we re-read and decide again (bounded), because
 * the decision may differ on the newer state.
 *
 * Idempotency is checked against the stream itself before deciding: if events
 * of this command id are already there, they are the answer. That holds
 * forever, not only inside JetStream's duplicate window, and it answers a
 * retry even when deciding again would now fail (e.g. "already registered").
 */
export const handleCommand = Effect.fn("handleCommand")(function* <C, E extends DomainEvent, S, Err>(
  decider: Decider<C, E, S, Err>,
  stream: string,
  command: C,
  metadata: EventMetadata
) {
  const store = yield* EventStore
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const history = yield* store.readStream(stream).pipe(
      Effect.catchTag("StreamNotFound", () => Effect.succeed([] as ReadonlyArray<RecordedEvent>))
    )
    const earlier = history.filter((e) => e.metadata.commandId === metadata.commandId)
    if (earlier.length > 0) {
      const last = history[history.length - 1]!
      return {
        stream,
        globalPosition: earlier[0]!.globalPosition,
        nextExpectedRevision: last.streamPosition,
        events: earlier,
        duplicate: true
      } satisfies CommandOutcome
    }
    const state = fold(decider, history.map((e) => e.data as E))
    const decision = decider.decide(command, state)
    if (Result.isFailure(decision)) return yield* Effect.fail(decision.failure)
    const expectedRevision = history.length === 0 ? ("no_stream" as const) : history[history.length - 1]!.streamPosition
    const appended = yield* store
      .append({ stream, expectedRevision, events: decision.success, commandId: metadata.commandId, metadata })
      .pipe(
        Effect.map((r): AppendResult | undefined => r),
        Effect.catchTag("WrongExpectedVersion", () => Effect.succeed(undefined))
      )
    if (!appended) {
      // Another writer got there first: back off a little (jittered, growing)
      // so concurrent writers on one hot stream stop colliding in lockstep.
      yield* Effect.sleep(Math.floor(Math.random() * 10 * attempt))
      continue
    }
    return {
      stream,
      globalPosition: appended.globalPosition,
      nextExpectedRevision: appended.nextExpectedRevision,
      events: appended.events,
      duplicate: appended.duplicate
    } satisfies CommandOutcome
  }
  return yield* Effect.fail(new ConcurrencyRetriesExhausted({ stream, attempts: MAX_ATTEMPTS }))
})
