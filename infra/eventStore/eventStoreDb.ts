import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AppendExpectedRevision
} from "@eventstore/db-client"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import { Effect, Layer } from "effect"
import { CommandIdReused, EventStore, EventStoreUnavailable, streamNotFound, WrongExpectedVersion, type AppendResult, type LogEntry } from "../../domain/ports"
import type { EncodedRecordedEvent, RecordedEvent } from "../../domain/recordedEvent"
import { parseStreamName } from "../../domain/streamName"
import { toEventStore, type LogBackend, type ValidatedReadOptions } from "./backend"
import { decodeCommit, describeRevision, sealedToRecorded, type PreparedAppend } from "./codec"
import { EMPTY_TIP, sealCommit, type ChainTip } from "./hashChain"

/**
 * The log on EventStoreDB / KurrentDB, selected by EVENTSTORE_URL=esdb://…
 *
 * Each of our streams is an ESDB stream (`<prefix><stream>`); one command's
 * events are one appendToStream call (atomic), with ESDB's expectedRevision
 * for optimistic concurrency. Each ESDB event's data is the whole sealed
 * envelope, so the hash chain verifies exactly as on JetStream.
 *
 * Differences from JetStream, by necessity:
 * - ESDB cannot check "the whole log has not moved" in the same append, so
 *   the chain head is serialised inside this process: run one writer process
 *   per log (the command API). A second concurrent writer would fork the
 *   chain, and `verifyChain` would report it.
 * - Idempotency across a moved-on stream needs a marker per command id
 *   (`<prefix>command-<keccak(commandId)>`), written before the commit.
 * - Global position is the chain's own commit counter (ESDB's $all positions
 *   are byte offsets, not dense).
 */
export interface EventStoreDbConfig {
  readonly connectionString: string
  /** Prefix for every ESDB stream this log owns (isolates tests and tenants). */
  readonly streamPrefix: string
}

interface StoredEnvelopeData {
  readonly envelope: EncodedRecordedEvent
}

export class EventStoreDbLog implements LogBackend {
  private tip: ChainTip | undefined
  private writing: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly config: EventStoreDbConfig,
    private readonly now: () => Date = () => new Date()
  ) {}

  static open(config: EventStoreDbConfig, now?: () => Date): EventStoreDbLog {
    return new EventStoreDbLog(EventStoreDBClient.connectionString(config.connectionString), config, now)
  }

  async dispose(): Promise<void> {
    await this.client.dispose()
  }

  private esdbStream(stream: string): string {
    return `${this.config.streamPrefix}${stream}`
  }

  private markerStream(commandId: string): string {
    return `${this.config.streamPrefix}command-${bytesToHex(keccak_256(utf8ToBytes(commandId))).slice(0, 40)}`
  }

  private ours(streamId: string): boolean {
    return streamId.startsWith(this.config.streamPrefix) && !streamId.startsWith(`${this.config.streamPrefix}command-`)
  }

  private serialised<T>(f: () => Promise<T>): Promise<T> {
    const run = this.writing.then(f, f)
    this.writing = run.catch(() => undefined)
    return run
  }

  /** Raw event data of an ESDB stream, or undefined when the stream does not exist. */
  private async readData(streamId: string, options: { fromRevision?: bigint; backwards?: boolean; maxCount?: number }) {
    const out: Array<Record<string, unknown>> = []
    try {
      const read = this.client.readStream(streamId, {
        fromRevision: options.backwards ? END : options.fromRevision ?? START,
        direction: options.backwards ? BACKWARDS : FORWARDS,
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount })
      })
      for await (const resolved of read) {
        if (resolved.event) out.push(resolved.event.data as unknown as Record<string, unknown>)
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return undefined
      throw e
    }
    return out
  }

  private async readEsdb(streamId: string, options: { fromRevision?: bigint; backwards?: boolean; maxCount?: number }) {
    const data = await this.readData(streamId, options)
    return data?.flatMap((d) => ((d as unknown as StoredEnvelopeData).envelope ? [(d as unknown as StoredEnvelopeData).envelope] : []))
  }

  private decodeOne(envelope: EncodedRecordedEvent): RecordedEvent {
    return decodeCommit({ events: [envelope] }, envelope.globalPosition)[0]!
  }

  private async loadTip(): Promise<ChainTip> {
    for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 10_000 })) {
      const event = resolved.event
      if (!event || event.type.startsWith("$") || !this.ours(event.streamId)) continue
      const envelope = (event.data as unknown as StoredEnvelopeData).envelope
      return { globalPosition: envelope.globalPosition, hash: envelope.hash as ChainTip["hash"] }
    }
    return EMPTY_TIP
  }

  async headPosition(): Promise<number> {
    return (await this.loadTip()).globalPosition
  }

  append(p: PreparedAppend): Promise<AppendResult> {
    return this.serialised(() => this.appendNow(p))
  }

  private async appendNow(p: PreparedAppend): Promise<AppendResult> {
    const marker = this.markerStream(p.commandId)
    const markers = await this.readData(marker, { maxCount: 1 })
    if (markers && markers.length > 0) {
      const storedStream = String(markers[0]!.stream)
      if (storedStream !== p.stream) throw new CommandIdReused({ commandId: p.commandId, stream: p.stream, storedStream })
      const recent = (await this.readEsdb(this.esdbStream(p.stream), { backwards: true, maxCount: 1000 })) ?? []
      const previous = recent.filter((e) => e.metadata.commandId === p.commandId).reverse()
      if (previous.length > 0) {
        const events = previous.map((e) => this.decodeOne(e))
        return { globalPosition: events[0]!.globalPosition, nextExpectedRevision: events[events.length - 1]!.streamPosition, events, duplicate: true }
      }
      // A marker without a commit: the first attempt died in between. Carry on.
    } else {
      await this.client.appendToStream(
        marker,
        jsonEvent({ type: "CommandAccepted", data: { stream: p.stream, commandId: p.commandId } }),
        { expectedRevision: NO_STREAM }
      )
    }

    const last = await this.readEsdb(this.esdbStream(p.stream), { backwards: true, maxCount: 1 })
    const revision = last && last.length > 0 ? last[0]!.streamPosition : undefined
    const expected = p.expectedRevision
    if ((expected === "no_stream" && revision !== undefined) || (typeof expected === "number" && expected !== revision)) {
      throw new WrongExpectedVersion({ stream: p.stream, expected: String(expected), actual: describeRevision(revision) })
    }
    const tip = (this.tip ??= await this.loadTip())
    const sealed = sealCommit({
      tip,
      stream: p.stream,
      firstStreamPosition: revision === undefined ? 0 : revision + 1,
      events: p.events,
      metadata: p.metadata,
      recordedAt: this.now().toISOString(),
      canonical: p.canonical
    })
    const expectedRevision: AppendExpectedRevision = revision === undefined ? NO_STREAM : BigInt(revision)
    try {
      await this.client.appendToStream(
        this.esdbStream(p.stream),
        sealed.events.map((envelope) => jsonEvent({ id: envelope.id, type: envelope.type, data: { envelope } as never })),
        { expectedRevision }
      )
    } catch (e) {
      this.tip = undefined
      if (e instanceof WrongExpectedVersionError) {
        const actual = await this.readEsdb(this.esdbStream(p.stream), { backwards: true, maxCount: 1 })
        throw new WrongExpectedVersion({
          stream: p.stream,
          expected: String(expected),
          actual: describeRevision(actual && actual.length > 0 ? actual[0]!.streamPosition : undefined)
        })
      }
      throw e
    }
    this.tip = sealed.tip
    const events = sealedToRecorded(sealed.events, p.decoded)
    return { globalPosition: sealed.tip.globalPosition, nextExpectedRevision: events[events.length - 1]!.streamPosition, events, duplicate: false }
  }

  async readStream(stream: string, fromRevision: number): Promise<ReadonlyArray<RecordedEvent>> {
    const envelopes = await this.readEsdb(this.esdbStream(stream), { fromRevision: BigInt(fromRevision) })
    if (envelopes === undefined) throw streamNotFound(stream)
    return envelopes.map((e) => this.decodeOne(e))
  }

  entries(options: ValidatedReadOptions, mode: "read" | "subscribe"): AsyncIterable<ReadonlyArray<LogEntry>> {
    const self = this
    const matches = (e: EncodedRecordedEvent) =>
      e.globalPosition >= options.fromPosition &&
      (options.stream === undefined || e.stream === options.stream) &&
      (options.aggregate === undefined || (parseStreamName(e.stream) as { aggregate?: string }).aggregate === options.aggregate)
    return {
      async *[Symbol.asyncIterator]() {
        // $all positions are not ours, so both modes scan from the start and
        // skip: fine for audits and catch-up at this scale.
        const source =
          mode === "read"
            ? self.client.readAll({ fromPosition: START, direction: FORWARDS })
            : self.client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() })
        try {
          for await (const resolved of source) {
            const event = resolved.event
            if (!event || event.type.startsWith("$") || !self.ours(event.streamId)) continue
            const envelope = (event.data as unknown as StoredEnvelopeData).envelope
            // (An event without our envelope was not written by this adapter:
            // ESDB has no position of ours for it, so it is skipped here.)
            if (envelope && matches(envelope)) yield [{ _tag: "Commit" as const, events: [self.decodeOne(envelope)] }]
          }
        } finally {
          if ("unsubscribe" in source) await source.unsubscribe()
        }
      }
    }
  }
}

export const layerEventStoreDb = (config: EventStoreDbConfig) =>
  Layer.effect(
    EventStore,
    Effect.acquireRelease(
      Effect.try({
        try: () => EventStoreDbLog.open(config),
        catch: (e) => new EventStoreUnavailable({ reason: e instanceof Error ? e.message : String(e) })
      }),
      (log) => Effect.promise(() => log.dispose().catch(() => undefined))
    ).pipe(Effect.map(toEventStore))
  )
