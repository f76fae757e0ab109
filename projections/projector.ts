import { Effect, Fiber, Stream } from "effect"
import type { EventStore } from "../domain/ports"
import type { RecordedEvent } from "../domain/recordedEvent"
import { allProjections } from "./index"
import type { Positioned, Projection, Read } from "./projection"
import { READ_MODELS_VERSION, type SnapshotStore } from "./snapshots"

/**
 * The read models in memory, with one checkpoint: the global position of the
 * last commit fully applied. Events are buffered until their commit is
 * complete (`commitSize`), then applied together, so a query never sees half
 * a command's effects.
 */
export class ReadModels {
  readonly collections = new Map<string, Map<string, Positioned>>()
  checkpoint = 0
  private pending: Array<RecordedEvent> = []
  /** The projections each event type concerns, in order (looked up once per event, not scanned per projection). */
  private readonly handlers = new Map<string, Array<{ readonly projection: Projection<any>; readonly docs: Map<string, Positioned> }>>()

  constructor(readonly projections: ReadonlyArray<Projection<any>> = allProjections) {
    for (const p of projections) {
      const docs = new Map<string, Positioned>()
      this.collections.set(p.name, docs)
      for (const tag of p.canHandle) {
        const list = this.handlers.get(tag) ?? []
        list.push({ projection: p, docs })
        this.handlers.set(tag, list)
      }
    }
  }

  readonly read: Read = <D>(projection: string, id: string) => this.collections.get(projection)?.get(id) as D | undefined

  /** Feed events in global order; returns true when a commit was completed (the checkpoint moved). */
  push(event: RecordedEvent): boolean {
    if (event.globalPosition <= this.checkpoint) return false // already applied (idempotent replay)
    this.pending.push(event)
    if (event.indexInCommit < event.commitSize - 1) return false
    for (const e of this.pending) this.apply(e)
    this.pending = []
    this.checkpoint = event.globalPosition
    return true
  }

  private apply(event: RecordedEvent) {
    for (const { projection, docs } of this.handlers.get(event.data._tag) ?? []) {
      for (const [id, doc] of projection.evolve(this.read, event)) docs.set(id, doc)
    }
  }

  /** Plain-JSON copy of every read model and the position it reflects. */
  snapshot(): { position: number; collections: Record<string, Record<string, unknown>> } {
    const collections: Record<string, Record<string, unknown>> = {}
    for (const [name, docs] of this.collections) collections[name] = Object.fromEntries([...docs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
    return { position: this.checkpoint, collections: JSON.parse(JSON.stringify(collections)) }
  }

  /** Read models from a snapshot (the checkpoint and every document). */
  static fromSnapshot(snapshot: { position: number; collections: Record<string, Record<string, unknown>> }): ReadModels {
    const models = new ReadModels()
    for (const [name, docs] of Object.entries(snapshot.collections)) {
      const collection = models.collections.get(name)
      if (!collection) continue
      for (const [id, doc] of Object.entries(docs)) collection.set(id, doc as Positioned)
    }
    models.checkpoint = snapshot.position
    return models
  }

  list<D>(projection: string): Array<D> {
    return [...(this.collections.get(projection)?.values() ?? [])] as Array<D>
  }
}

/** Rebuild every read model from a replay (pure: no store involved). */
export const rebuild = (events: Iterable<RecordedEvent>, upTo = Infinity): ReadModels => {
  const models = new ReadModels()
  for (const e of events) {
    if (e.globalPosition > upTo) break
    models.push(e)
  }
  return models
}

/** How many lag samples a projector holds at least (at most twice as many). */
export const LAG_SAMPLES = 10_000

/**
 * Add a sample, keeping the newest `held` to `2 × held`: trimmed in chunks.
 * Trimming one sample off the front per event cost ~4 µs once the projector
 * held 10,000 (a splice moves every sample left), on every event a
 * long-running API applied and on every event of its catch-up at start.
 */
export const keepSample = (samples: Array<number>, sample: number, held = LAG_SAMPLES): void => {
  samples.push(sample)
  if (samples.length > 2 * held) samples.splice(0, samples.length - held)
}

/**
 * Keep read models up to date from the log: catch up from position 1, then
 * follow live. `waitFor(position)` resolves once the read models reflect it
 * (read-your-writes for `?minPosition=`); `rebuild()` starts again from zero.
 * Lag samples (append → applied) are kept for the benchmark.
 */
export const startProjector = async (
  store: EventStore["Service"],
  options: {
    /** Persist the checkpoint here; without it, read models are rebuilt from zero at every start. */
    readonly snapshots?: SnapshotStore
    /** Save a snapshot after this many commits (and on stop). */
    readonly snapshotEvery?: number
  } = {}
) => {
  const saved = await options.snapshots?.load().catch(() => undefined)
  let models = saved && saved.version === READ_MODELS_VERSION ? ReadModels.fromSnapshot(saved) : new ReadModels()
  const resumedFrom = models.checkpoint
  let sinceSnapshot = 0
  let saving: Promise<void> | undefined
  const saveSnapshot = () => {
    if (!options.snapshots || saving) return saving
    sinceSnapshot = 0
    const snapshot = { version: READ_MODELS_VERSION, ...models.snapshot() }
    saving = options.snapshots.save(snapshot).catch(() => undefined).finally(() => (saving = undefined))
    return saving
  }
  let waiters: Array<{ position: number; resolve: () => void }> = []
  const lagMs: Array<number> = []
  const onEvent = (e: RecordedEvent) => {
    if (!models.push(e)) return
    if (++sinceSnapshot >= (options.snapshotEvery ?? 1000)) void saveSnapshot()
    keepSample(lagMs, Date.now() - Date.parse(e.recordedAt))
    if (waiters.length === 0) return
    const ready = waiters.filter((w) => w.position <= models.checkpoint)
    waiters = waiters.filter((w) => w.position > models.checkpoint)
    for (const w of ready) w.resolve()
  }
  // Batch by batch (what the store has at hand at once): one step per batch, not per event.
  const follow = () =>
    Effect.runFork(Stream.runForEachArray(store.subscribe({ fromPosition: models.checkpoint + 1 }), (events) => Effect.sync(() => events.forEach(onEvent))))
  let fiber = follow()
  let rebuilding: Promise<number> | undefined
  return {
    get models() {
      return models
    },
    /** The checkpoint loaded at start (0 when the read models were rebuilt from zero). */
    resumedFrom,
    lagMs,
    waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
      if (models.checkpoint >= position) return Promise.resolve(true)
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter)
          resolve(false)
        }, timeoutMs)
        const waiter = {
          position,
          resolve: () => {
            clearTimeout(timer)
            resolve(true)
          }
        }
        waiters.push(waiter)
      })
    },
    /**
     * Rebuild every read model from position 1. Single-flight: a call while a
     * rebuild runs joins it. The current read models keep serving (and
     * following) until the fresh ones have caught up with the log; then they
     * are swapped in and follow from there, so readers never see them behind.
     */
    rebuild(): Promise<number> {
      rebuilding ??= (async () => {
        const fresh = new ReadModels()
        await Effect.runPromise(Stream.runForEachArray(store.readAll(), (events) => Effect.sync(() => events.forEach((e) => fresh.push(e)))))
        await Effect.runPromise(Fiber.interrupt(fiber))
        // The old fiber may have applied events beyond `fresh`: follow picks them up from fresh's checkpoint.
        models = fresh
        fiber = follow()
        return fresh.checkpoint
      })().finally(() => (rebuilding = undefined))
      return rebuilding
    },
    async stop() {
      await Effect.runPromise(Fiber.interrupt(fiber))
      await saving
      await saveSnapshot()
    }
  }
}
export type Projector = Awaited<ReturnType<typeof startProjector>>
