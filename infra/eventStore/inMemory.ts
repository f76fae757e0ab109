import { Layer } from "effect"
import { CommandIdReused, EventStore, streamNotFound, WrongExpectedVersion, type AppendResult, type LogEntry } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { decodeCommit, describeRevision, type PreparedAppend } from "./codec"
import { toEventStore, type LogBackend, type ValidatedReadOptions } from "./backend"
import { EMPTY_TIP, sealCommit, type ChainTip } from "./hashChain"

interface StoredCommit {
  readonly globalPosition: number
  readonly stream: string
  readonly aggregate: string
  readonly commandId: string
  readonly events: ReadonlyArray<RecordedEvent>
}

/**
 * In-memory log for fast unit specs of pure logic. Same validation, sealing
 * and decoding as the real adapters (it stores the encoded form and decodes on
 * read), never the only test of anything that touches a store.
 */
export class InMemoryLog implements LogBackend {
  private readonly log: Array<StoredCommit> = []
  private readonly streams = new Map<string, Array<RecordedEvent>>()
  private readonly byCommand = new Map<string, StoredCommit>()
  private readonly listeners = new Set<() => void>()
  private tip: ChainTip = EMPTY_TIP

  constructor(private readonly now: () => Date = () => new Date()) {}

  async append(p: PreparedAppend): Promise<AppendResult> {
    const previous = this.byCommand.get(p.commandId)
    if (previous) {
      if (previous.stream !== p.stream) {
        throw new CommandIdReused({ commandId: p.commandId, stream: p.stream, storedStream: previous.stream })
      }
      return this.result(previous, true)
    }
    const existing = this.streams.get(p.stream) ?? []
    const revision = existing.length === 0 ? undefined : existing.length - 1
    const expected = p.expectedRevision
    if ((expected === "no_stream" && revision !== undefined) || (typeof expected === "number" && expected !== revision)) {
      throw new WrongExpectedVersion({ stream: p.stream, expected: String(expected), actual: describeRevision(revision) })
    }
    const sealed = sealCommit({
      tip: this.tip,
      stream: p.stream,
      firstStreamPosition: existing.length,
      events: p.events,
      metadata: p.metadata,
      recordedAt: this.now().toISOString(),
      canonical: p.canonical
    })
    // Round-trip through JSON like a real store, so specs see exactly what a
    // reader of the real log would.
    const events = decodeCommit(JSON.parse(sealed.json), sealed.tip.globalPosition)
    const commit: StoredCommit = {
      globalPosition: sealed.tip.globalPosition,
      stream: p.stream,
      aggregate: p.streamName.aggregate,
      commandId: p.commandId,
      events
    }
    this.tip = sealed.tip
    this.log.push(commit)
    this.streams.set(p.stream, [...existing, ...events])
    this.byCommand.set(p.commandId, commit)
    for (const wake of this.listeners) wake()
    return this.result(commit, false)
  }

  private result(commit: StoredCommit, duplicate: boolean): AppendResult {
    return {
      globalPosition: commit.globalPosition,
      nextExpectedRevision: commit.events[commit.events.length - 1]!.streamPosition,
      events: commit.events,
      duplicate
    }
  }

  async readStream(stream: string, fromRevision: number): Promise<ReadonlyArray<RecordedEvent>> {
    const events = this.streams.get(stream)
    if (!events) throw streamNotFound(stream)
    return events.slice(fromRevision)
  }

  async headPosition(): Promise<number> {
    return this.tip.globalPosition
  }

  entries(options: ValidatedReadOptions, mode: "read" | "subscribe"): AsyncIterable<ReadonlyArray<LogEntry>> {
    const matches = (c: StoredCommit) =>
      (options.stream === undefined || c.stream === options.stream) &&
      (options.aggregate === undefined || c.aggregate === options.aggregate)
    const log = this.log
    const listeners = this.listeners
    const end = mode === "read" ? log.length : Infinity
    return {
      [Symbol.asyncIterator]() {
        let index = options.fromPosition - 1
        let wake: (() => void) | undefined
        let closed = false
        const listener = () => wake?.()
        listeners.add(listener)
        return {
          async next(): Promise<IteratorResult<ReadonlyArray<LogEntry>>> {
            for (;;) {
              if (closed) return { done: true, value: undefined }
              // Every matching commit at hand, as one batch.
              const batch: Array<LogEntry> = []
              while (index < Math.min(log.length, end) && batch.length < 1024) {
                const commit = log[index++]!
                if (matches(commit)) batch.push({ _tag: "Commit", events: commit.events })
              }
              if (batch.length > 0) return { done: false, value: batch }
              if (index >= end) {
                listeners.delete(listener)
                return { done: true, value: undefined }
              }
              await new Promise<void>((resolve) => (wake = resolve))
            }
          },
          async return(): Promise<IteratorResult<ReadonlyArray<LogEntry>>> {
            closed = true
            listeners.delete(listener)
            wake?.()
            return { done: true, value: undefined }
          }
        }
      }
    }
  }
}

export const layerInMemory = (now?: () => Date) => Layer.sync(EventStore, () => toEventStore(new InMemoryLog(now)))
