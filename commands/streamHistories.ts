import { Effect } from "effect"
import { EventStore } from "../domain/ports"
import type { RecordedEvent } from "../domain/recordedEvent"
import { perStore } from "./perStore"

/**
 * The fact loaders' copies of the streams they read, per store. A read asks
 * the store only for what is newer than the copy: one direct get when
 * nothing is, a scan from the copy's last event when something is (the
 * store's `after` hint). Before, a task's whole stream was read for every
 * validator draw and every join: reads grew with the square of its length.
 *
 * Bounded by the events held, not by streams (one task's stream can hold
 * thousands): when the budget is spent, every copy is dropped and rebuilt
 * on demand. The store stays the source of truth; a copy only saves reading
 * again what the store already answered.
 */
export class Histories {
  private readonly streams = new Map<string, ReadonlyArray<RecordedEvent>>()
  private held = 0

  constructor(private readonly budget = 50_000) {}

  /** Events held now, all streams together. */
  get size(): number {
    return this.held
  }

  get(stream: string): ReadonlyArray<RecordedEvent> | undefined {
    return this.streams.get(stream)
  }

  set(stream: string, events: ReadonlyArray<RecordedEvent>): void {
    this.held += events.length - (this.streams.get(stream)?.length ?? 0)
    this.streams.set(stream, events)
    if (this.held > this.budget) {
      this.streams.clear()
      this.held = 0
    }
  }
}

const historiesOf = perStore(() => new Histories())

/** A stream's events, or none when it does not exist yet (read through the copies: `histories` for specs). */
export const history = (stream: string, given?: Histories) =>
  EventStore.use((store) => {
    const histories = given ?? historiesOf(store)
    const held = histories.get(stream)
    const last = held?.[held.length - 1]
    return store.readStream(stream, last ? { fromRevision: last.streamPosition + 1, after: last.globalPosition } : undefined).pipe(
      Effect.map((newer) => {
        const events = held === undefined ? newer : newer.length === 0 ? held : [...held, ...newer]
        histories.set(stream, events)
        return events
      }),
      Effect.catchTag("StreamNotFound", () => Effect.succeed([] as ReadonlyArray<RecordedEvent>))
    )
  })
