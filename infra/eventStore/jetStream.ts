import { appendReseals, appendSeconds, appendsTotal } from "../metrics"
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream"
import type { NatsConnection } from "@nats-io/transport-node"
import { Effect, Layer } from "effect"
import {
  CommandIdReused,
  EventStore,
  EventStoreUnavailable,
  WrongExpectedVersion,
  type AppendResult,
  type LogEntry,
  type StoredLogBatch
} from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { inboxPrefixOfConnection, NatsClient } from "../nats/NatsClient"
import { toEventStore, type LogBackend, type ValidatedReadOptions } from "./backend"
import { describeRevision, type PreparedAppend } from "./codec"
import { WriterForwarding } from "./writerForwarding"
import { LogReads, type StreamHead } from "./jetStreamReader"
import { EMPTY_TIP } from "./hashChain"
import { defaultJetStreamConfig, ensureEventStream, type JetStreamEventStoreConfig } from "./jetStreamConfig"
import { ChainSealer, type Head, type Sealed } from "./jetStreamSealer"

// The stream's configuration lives beside (jetStreamConfig.ts); importers of the log find it here too.
export { defaultJetStreamConfig, ensureEventStream, eventStreamConfig, type JetStreamEventStoreConfig } from "./jetStreamConfig"

/** JetStream's "wrong last sequence" API error: an expectation header did not hold. */
const WRONG_LAST_SEQUENCE = 10071
/** "wrong last msg ID": the log's last message is not the commit we sealed on. */
const WRONG_LAST_MSG_ID = 10070

/** The answer to a command id stored before: its own commit, nothing new appended. */
const alreadyStored = (stored: ReadonlyArray<RecordedEvent>): AppendResult => ({
  globalPosition: stored[0]!.globalPosition,
  nextExpectedRevision: stored[stored.length - 1]!.streamPosition,
  events: stored,
  duplicate: true
})

/**
 * The log on JetStream. One message per commit on `<prefix>.<aggregate>.<id>`.
 *
 * Two server-side expectations make every append safe:
 * - `Nats-Expected-Last-Subject-Sequence`: the stream (aggregate) has not moved
 *   since the caller read it (optimistic concurrency per stream);
 * - `Nats-Expected-Last-Sequence`: the whole log has not moved since we sealed
 *   the commit onto the hash chain, so the stored `prevHash` really is the hash
 *   of the event before it and `globalPosition` is the JetStream sequence.
 * - `Nats-Expected-Last-Msg-Id`: ...and the message at that sequence is the
 *   very commit we sealed on. A sequence number alone is not enough: when a
 *   pipelined commit is rejected and another writer's commit takes its
 *   sequence, the commit sealed on top of the rejected one would otherwise
 *   land with a `prevHash` that links to nothing (an ABA race).
 * The last two can fail because of another writer's unrelated append; then we
 * reseal on the new head and retry (bounded). `msgID` = command id makes a
 * retried command a no-op (JetStream checks duplicates before expectations).
 *
 * Within one process appends are pipelined: sealing is serialised (it needs the
 * head), publishing is not. Each seal optimistically advances the local head
 * (ChainSealer, jetStreamSealer.ts); when a publish fails, the commits sealed
 * on top of it fail their expected-last-sequence check at the server and are
 * resealed: nothing forks. Reads live in jetStreamReader.ts, the stream's
 * configuration in jetStreamConfig.ts.
 *
 * Across processes appends do not pipeline: each moves the head under the
 * others. So writers (API processes) may take part in the writer lease
 * (config.writerLease; writerLease.ts, writerForwarding.ts): the holder
 * appends here, the others forward their appends to it.
 */
export class JetStreamLog implements LogBackend {
  private readonly sealer: ChainSealer
  private readonly reads: LogReads
  /** Present when this log takes part in the writer lease (config.writerLease; writerForwarding.ts). */
  private writer: WriterForwarding | undefined

  constructor(
    private readonly js: JetStreamClient,
    jsm: JetStreamManager,
    private readonly config: JetStreamEventStoreConfig,
    now: () => Date = () => new Date(),
    replicas = config.replicas
  ) {
    this.reads = new LogReads(js, jsm, config, replicas === 1)
    this.sealer = new ChainSealer(config.cachedStreamHeads, { loadHead: () => this.loadHead(), loadStreamHead: (stream) => this.reads.loadStreamHead(stream) }, now)
  }

  /** How many stream heads the writer holds (bounded by `cachedStreamHeads`). */
  get cachedHeads(): number {
    return this.sealer.cachedHeads
  }

  static async open(nc: NatsConnection, config: JetStreamEventStoreConfig, now?: () => Date): Promise<JetStreamLog> {
    const jsm = await jetstreamManager(nc)
    const replicas = await ensureEventStream(jsm, config)
    // Ordered push consumers (reads of the log) deliver under the connection's own inbox prefix.
    const watcherPrefix = inboxPrefixOfConnection(nc)
    const log = new JetStreamLog(jetstream(nc, watcherPrefix === undefined ? {} : { watcherPrefix }), jsm, config, now, replicas)
    if (config.writerLease) {
      // Without the lease a writer is only slower when others write too: start anyway.
      log.writer = await WriterForwarding.join(nc, log.js, jsm, config, replicas, { appendHere: (p) => log.appendHere(p), commitAt: (position) => log.reads.commitAt(position) }).catch((e: unknown) => {
        console.warn(`[event-store] appending without the writer lease: ${e instanceof Error ? e.message : String(e)}`)
        return undefined
      })
    }
    return log
  }

  /** Whether this log holds the writer lease (always true when it does not take part in one). */
  get holdsWriterLease(): boolean {
    return this.writer === undefined || this.writer.holding
  }

  /** Leave the writer lease (handing it back if held). The connection stays the caller's. */
  async close(): Promise<void> {
    await this.writer?.close()
  }

  /** Try the writer lease now (tests, instead of waiting for its timer). */
  async stepWriterLease(): Promise<void> {
    await this.writer?.step()
  }

  private async loadHead(): Promise<Head> {
    const last = await this.reads.headPosition()
    // The chain's tip is the last sealed commit; foreign messages after it
    // take positions (sequences) but no place in the chain.
    for (let seq = last; seq > 0; seq--) {
      const entry = await this.reads.entryAt(seq)
      if (entry?._tag !== "Commit") continue
      const lastEvent = entry.events[entry.events.length - 1]!
      return {
        globalPosition: last,
        hash: lastEvent.hash,
        msgId: seq === last ? lastEvent.metadata.commandId : undefined,
        optimistic: false
      }
    }
    return { globalPosition: last, hash: EMPTY_TIP.hash, msgId: undefined, optimistic: false }
  }

  async headPosition(): Promise<number> {
    return this.reads.headPosition()
  }

  async readStream(stream: string, fromRevision: number, after?: number): Promise<ReadonlyArray<RecordedEvent>> {
    return this.reads.readStream(stream, fromRevision, after)
  }

  entries(options: ValidatedReadOptions, mode: "read" | "subscribe", keepStored = false): AsyncIterable<ReadonlyArray<LogEntry>> {
    return this.reads.entries(options, mode, keepStored)
  }

  storedBatches(options: ValidatedReadOptions): AsyncIterable<StoredLogBatch> {
    return this.reads.storedBatches(options)
  }

  // ---- append --------------------------------------------------------------

  async append(p: PreparedAppend): Promise<AppendResult> {
    return this.writer === undefined ? this.appendHere(p) : this.writer.append(p)
  }

  private async appendHere(p: PreparedAppend): Promise<AppendResult> {
    const timer = appendSeconds.startTimer()
    const result = await this.appendOnce(p)
    timer()
    appendsTotal.inc({ outcome: result.duplicate ? "duplicate" : "committed" })
    return result
  }

  private async appendOnce(p: PreparedAppend): Promise<AppendResult> {
    // Already validated and parsed by prepareAppend.
    const subject = this.reads.subjectFor(p.streamName)
    // The message id is the command id, so the server answers a resent
    // command as a duplicate. A clustered stream (nats-server 2.10) may keep
    // remembering an id whose message it then refused on an expectation; a
    // reseal after that publishes under `<commandId>~<attempt>` (the stream
    // lookup, not the id, is what answers a retried command then).
    let msgId = p.commandId
    for (let attempt = 1; attempt <= this.config.maxAppendAttempts; attempt++) {
      // Resolve the stream's head outside the seal lock when we do not know it,
      // so one slow lookup does not hold every other append.
      let fetched: StreamHead | undefined
      if (!this.sealer.knows(p.stream)) {
        // A new stream is assumed empty on the first try (no read); a retry
        // asks the store (a foreign message may hold the subject's last sequence).
        fetched =
          p.expectedRevision === "no_stream" && attempt === 1 ? { revision: undefined, subjectSeq: 0 } : await this.reads.loadStreamHead(p.stream)
      }
      const sealing = this.sealer.seal(p, fetched, msgId)
      const locked = sealing instanceof Promise
      let sealed: Sealed
      try {
        sealed = locked ? await sealing : sealing
      } catch (error) {
        if (locked) this.sealer.unlock()
        throw error
      }
      try {
        // Published in the order sealed: a synchronous seal publishes at
        // once, and one that took the lock holds it until this is queued.
        // No batching of our own: the NATS client writes everything sent
        // before its flush (a microtask) at once, and deferring publishes to
        // the end of the turn (as when seals chained through promises) cost
        // the read side's lag at the API's maximum rate (p99 7 -> 49 ms) and
        // gave no throughput back once seals became synchronous.
        const publishing = this.js.publish(subject, sealed.payload, {
            msgID: msgId,
            expect: {
              lastSequence: sealed.expectedLastSeq,
              lastSubjectSequence: sealed.expectedSubjectSeq,
            ...(sealed.expectedLastMsgId === undefined ? {} : { lastMsgID: sealed.expectedLastMsgId })
          }
        })
        if (locked) this.sealer.unlock()
        const ack = await publishing
        if (ack.duplicate) {
          // The command was stored before (a retry): nothing new was appended,
          // so the head we advanced optimistically is wrong.
          this.sealer.forget(p.stream, sealed.generation)
          // The commit the server points at, if it is this command's (a
          // clustered stream may answer without a sequence, or remember an id
          // it never stored: then the stream itself says).
          const atSeq = ack.seq > 0 ? await this.reads.commitAt(ack.seq).catch(() => [] as ReadonlyArray<RecordedEvent>) : []
          if (atSeq.length > 0 && atSeq[0]!.metadata.commandId === p.commandId) {
            if (atSeq[0]!.stream !== p.stream) throw new CommandIdReused({ commandId: p.commandId, stream: p.stream, storedStream: atSeq[0]!.stream })
            return alreadyStored(atSeq)
          }
          const stored = await this.storedOnStream(p.stream, p.commandId)
          if (stored.length > 0) return alreadyStored(stored)
          // Remembered by the server but stored nowhere on this stream: reseal under a fresh id.
          msgId = `${p.commandId}~${attempt}`
          continue
        }
        if (ack.seq !== sealed.tip.globalPosition) {
          // Cannot happen while the server honours Expected-Last-Sequence; if it
          // does, the chain would lie, so refuse loudly.
          this.sealer.forget(p.stream, sealed.generation)
          throw new EventStoreUnavailable({ reason: `stored at ${ack.seq}, sealed for ${sealed.tip.globalPosition}` })
        }
        // Acknowledged: if nothing was sealed on top meanwhile, the head is now confirmed.
        this.sealer.confirm(ack.seq, msgId)
        return {
          globalPosition: ack.seq,
          nextExpectedRevision: sealed.events[sealed.events.length - 1]!.streamPosition,
          events: sealed.events,
          duplicate: false
        }
      } catch (error) {
        this.sealer.forget(p.stream, sealed.generation)
        if (!(error instanceof JetStreamApiError && (error.code === WRONG_LAST_SEQUENCE || error.code === WRONG_LAST_MSG_ID))) throw error
        // Which expectation failed? Ask the stream itself.
        const actual = await this.reads.loadStreamHead(p.stream)
        const expected = p.expectedRevision
        const streamMismatch =
          (expected === "no_stream" && actual.revision !== undefined) || (typeof expected === "number" && expected !== actual.revision)
        if (streamMismatch) {
          // nats-server 2.11+ answers a retried msgID whose expectations no longer
          // hold with "wrong last sequence", not with the duplicate ack 2.10 gives:
          // the stream itself says whether this command is already stored.
          // Stored by an earlier try of this command, it lies on top of the
          // revision this one expected: after that commit's sequence, when we
          // knew it (not doomed), so only the commits since are read.
          const stored = await this.storedOnStream(p.stream, p.commandId, actual, sealed.generation === -1 ? 1 : sealed.expectedSubjectSeq + 1)
          if (stored.length > 0) {
            return alreadyStored(stored)
          }
          throw new WrongExpectedVersion({
            stream: p.stream,
            expected: String(p.expectedRevision),
            actual: describeRevision(actual.revision)
          })
        }
        // Another writer moved the log head (or, for "any", this stream): reseal.
        appendReseals.inc()
        if (attempt > 3) await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, attempt * 2)))
      }
    }
    throw new EventStoreUnavailable({ reason: `append to ${p.stream} gave up after ${this.config.maxAppendAttempts} attempts (contention)` })
  }

  /** The events a command id stored on a stream (empty when none), read from the leader, from `fromSeq` on. */
  private async storedOnStream(stream: string, commandId: string, head?: StreamHead, fromSeq = 1): Promise<ReadonlyArray<RecordedEvent>> {
    const { subjectSeq } = head ?? (await this.reads.loadStreamHead(stream))
    return subjectSeq < fromSeq ? [] : (await this.reads.collect(this.reads.subjectOf(stream), subjectSeq, fromSeq)).filter((e) => e.metadata.commandId === commandId)
  }

}

/** The EventStore on JetStream, over the process's NatsClient. */
export const layerJetStream = (config: Partial<JetStreamEventStoreConfig> = {}) =>
  Layer.effect(
    EventStore,
    Effect.gen(function* () {
      const { connection } = yield* NatsClient
      const log = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => JetStreamLog.open(connection, { ...defaultJetStreamConfig, ...config }),
          catch: (e) => new EventStoreUnavailable({ reason: e instanceof Error ? e.message : String(e) })
        }),
        // Hands the writer lease back, so another process appends at once.
        (log) => Effect.promise(() => log.close())
      )
      return toEventStore(log)
    })
  )
