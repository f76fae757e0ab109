import { appendReseals, appendSeconds, appendsTotal } from "../metrics"
import {
  DiscardPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig
} from "@nats-io/jetstream"
import type { NatsConnection } from "@nats-io/transport-node"
import { Effect, Layer } from "effect"
import {
  CommandIdReused,
  CorruptEvent,
  EventStore,
  EventStoreUnavailable,
  StreamNotFound,
  WrongExpectedVersion,
  type AppendResult,
  type LogEntry
} from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { parseStreamName, type StreamName } from "../../domain/streamName"
import { NatsClient } from "../nats/NatsClient"
import { toEventStore, type LogBackend, type ValidatedReadOptions } from "./backend"
import { commitTextBytes, describeRevision, sealedToRecorded, type PreparedAppend } from "./codec"
import { consumeLog, toLogEntry } from "./jetStreamReader"
import { EMPTY_TIP, sealCommit, type ChainTip } from "./hashChain"
import { RecentMap } from "../recentMap"

export interface JetStreamEventStoreConfig {
  /** JetStream stream holding the log. */
  readonly streamName: string
  /** Subjects are `<prefix>.<aggregate>.<id>`. */
  readonly subjectPrefix: string
  /** Create/update the stream at start (needs the admin role); otherwise it must exist. */
  readonly provision: boolean
  /** How long JetStream remembers command ids for idempotent retries. */
  readonly duplicateWindowMs: number
  readonly replicas: number
  /** Bound on reseal-and-retry after another writer moved the log head. */
  readonly maxAppendAttempts: number
  /**
   * Streams whose head (revision, last subject sequence) the writer keeps
   * after appending to them, at most (the most recently written; RecentMap).
   * A stream not kept costs one read of its head on its next append.
   */
  readonly cachedStreamHeads: number
}

export const defaultJetStreamConfig: JetStreamEventStoreConfig = {
  streamName: "EVENTS",
  subjectPrefix: "events",
  provision: true,
  duplicateWindowMs: 60 * 60 * 1000,
  replicas: 1,
  maxAppendAttempts: 50,
  // As many as the command handler keeps folded streams (commands/handleCommand.ts).
  cachedStreamHeads: 10_000
}

/** JetStream's "wrong last sequence" API error: an expectation header did not hold. */
const WRONG_LAST_SEQUENCE = 10071
/** "wrong last msg ID": the log's last message is not the commit we sealed on. */
const WRONG_LAST_MSG_ID = 10070

export const eventStreamConfig = (config: JetStreamEventStoreConfig): Partial<StreamConfig> & { name: string } => ({
  name: config.streamName,
  subjects: [`${config.subjectPrefix}.>`],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  num_replicas: config.replicas,
  discard: DiscardPolicy.New,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_msg_size: 1024 * 1024,
  duplicate_window: config.duplicateWindowMs * 1_000_000,
  // The log is the audit trail: no message may be removed, by anyone.
  deny_delete: true,
  deny_purge: true,
  allow_rollup_hdrs: false,
  allow_direct: true
})

/** Create the stream, or check that an existing one keeps the audit guarantees. */
export const ensureEventStream = async (jsm: JetStreamManager, config: JetStreamEventStoreConfig): Promise<void> => {
  const wanted = eventStreamConfig(config)
  const existing = await jsm.streams.info(config.streamName).catch((e: unknown) => {
    if (e instanceof JetStreamApiError && e.code === 10059) return undefined
    throw e
  })
  if (!existing) {
    if (!config.provision) throw new EventStoreUnavailable({ reason: `stream ${config.streamName} does not exist; run provisioning` })
    await jsm.streams.add(wanted)
    return
  }
  const c = existing.config
  if (!c.deny_delete || !c.deny_purge || !c.allow_direct || !c.subjects.includes(`${config.subjectPrefix}.>`)) {
    throw new EventStoreUnavailable({
      reason: `stream ${config.streamName} exists without deny_delete/deny_purge/allow_direct or the ${config.subjectPrefix}.> subjects`
    })
  }
}

/** The answer to a command id stored before: its own commit, nothing new appended. */
const alreadyStored = (stored: ReadonlyArray<RecordedEvent>): AppendResult => ({
  globalPosition: stored[0]!.globalPosition,
  nextExpectedRevision: stored[stored.length - 1]!.streamPosition,
  events: stored,
  duplicate: true
})

interface StreamHead {
  /** Revision (stream position of the last event), undefined when the stream is empty. */
  readonly revision: number | undefined
  /** JetStream sequence of the stream's last commit, 0 when empty. */
  readonly subjectSeq: number
}

/**
 * The chain head plus the msgID (store command id) of the commit at it.
 * `optimistic`: sealed by us but not yet acknowledged. Only then can its
 * sequence end up taken by another writer's commit, so only then do we also
 * expect the last msg id (the server remembers msg ids only within the
 * duplicate window; a confirmed, immutable head needs no such check).
 */
interface Head extends ChainTip {
  readonly msgId: string | undefined
  readonly optimistic: boolean
}

interface Sealed {
  readonly payload: Uint8Array
  readonly tip: ChainTip
  readonly expectedLastSeq: number
  readonly expectedLastMsgId: string | undefined
  readonly expectedSubjectSeq: number
  readonly events: ReadonlyArray<RecordedEvent>
  readonly generation: number
}

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
 * head), publishing is not. Each seal optimistically advances the local head;
 * when a publish fails, the commits sealed on top of it fail their
 * expected-last-sequence check at the server and are resealed: nothing forks.
 */
export class JetStreamLog implements LogBackend {
  private head: Head | undefined
  /** Bumped whenever the local view is discarded, so stale seals do not overwrite fresh state. */
  private generation = 0
  /**
   * Stream heads as this writer left them. One entry per stream written, so
   * bounded (RecentMap): a long-running API writes to a new stream with
   * nearly every registration, dataset and task. Letting one go is always
   * safe (the next append reads the head; the server checks the
   * expectations either way).
   */
  private readonly heads: RecentMap<string, StreamHead & { generation: number }>
  private sealing: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly config: JetStreamEventStoreConfig,
    private readonly now: () => Date = () => new Date()
  ) {
    this.heads = new RecentMap(config.cachedStreamHeads)
  }

  static async open(nc: NatsConnection, config: JetStreamEventStoreConfig, now?: () => Date): Promise<JetStreamLog> {
    const jsm = await jetstreamManager(nc)
    await ensureEventStream(jsm, config)
    return new JetStreamLog(nc, jetstream(nc), jsm, config, now)
  }

  private subjectFor({ aggregate, id }: StreamName): string {
    return `${this.config.subjectPrefix}.${aggregate}.${id}`
  }

  private subjectOf(stream: string): string {
    const parsed = parseStreamName(stream)
    if ("invalid" in parsed) throw new Error(parsed.invalid)
    return this.subjectFor(parsed)
  }

  // ---- reads of single messages (direct get: no consumer needed) ----------

  private async commitAt(seq: number): Promise<ReadonlyArray<RecordedEvent>> {
    const entry = await this.entryAt(seq)
    if (entry === undefined) throw new EventStoreUnavailable({ reason: `commit ${seq} not found` })
    if (entry._tag === "Foreign") throw new CorruptEvent({ globalPosition: seq, reason: entry.reason })
    return entry.events
  }

  /**
   * A message as the stream's leader has it. Direct gets may be answered by
   * any replica of a clustered stream, and a follower can lag: a missing
   * sequence read as "foreign" would seal a commit onto the wrong hash, and a
   * stale subject head would decide on old state. Everything the write path
   * and command handling read goes to the leader; read-side scans may use
   * direct gets (they only end earlier).
   */
  private fromLeader(query: { seq: number } | { last_by_subj: string }) {
    return this.jsm.streams.getMessage(this.config.streamName, query)
  }

  /** The message at a sequence as a log entry: a sealed commit, or foreign bytes. */
  private async entryAt(seq: number): Promise<LogEntry | undefined> {
    const msg = await this.fromLeader({ seq })
    return msg ? this.toEntry(msg.subject, msg.data, msg.seq) : undefined
  }

  private toEntry(subject: string, data: Uint8Array, seq: number): LogEntry {
    return toLogEntry(this.config.subjectPrefix, subject, data, seq)
  }

  private async loadStreamHead(stream: string): Promise<StreamHead> {
    const msg = await this.fromLeader({ last_by_subj: this.subjectOf(stream) })
    if (!msg) return { revision: undefined, subjectSeq: 0 }
    const entry = this.toEntry(msg.subject, msg.data, msg.seq)
    if (entry._tag === "Commit") return { revision: entry.events[entry.events.length - 1]!.streamPosition, subjectSeq: msg.seq }
    // The subject's last message is foreign: the revision is that of its last
    // sealed commit, while the server's last subject sequence is the foreign one.
    const events = await this.collect(this.subjectOf(stream), msg.seq)
    return { revision: events.length === 0 ? undefined : events[events.length - 1]!.streamPosition, subjectSeq: msg.seq }
  }

  private async loadHead(): Promise<Head> {
    const info = await this.jsm.streams.info(this.config.streamName)
    const last = info.state.last_seq
    // The chain's tip is the last sealed commit; foreign messages after it
    // take positions (sequences) but no place in the chain.
    for (let seq = last; seq > 0; seq--) {
      const entry = await this.entryAt(seq)
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
    const info = await this.jsm.streams.info(this.config.streamName)
    return info.state.last_seq
  }

  // ---- append --------------------------------------------------------------

  private forget(stream: string, generation: number): void {
    // Only the first failure of a generation resets: later failures of commits
    // sealed on the same (now discarded) view must not wipe a fresher one.
    if (generation === this.generation) {
      this.generation++
      this.head = undefined
      this.heads.clear()
    } else {
      this.heads.delete(stream)
    }
  }

  /**
   * Publishes leave in the order their commits were sealed (each is queued
   * right after its seal), but together: the NATS client writes to the
   * socket once per batch of sends made before its flush (a microtask), and
   * appends resumed by acknowledgements each come a few microtasks apart, so
   * sending each as it was sealed cost one write (a system call) per append,
   * a fifth of a pipelined append's time in a profile. A lone append goes at
   * once; with others in flight, the queue is sent at the end of this turn.
   */
  private outbox: Array<() => void> = []
  /** Appends in flight in this process (appendOnce running). */
  private appending = 0
  private flushOutbox = () => {
    const batch = this.outbox
    this.outbox = []
    for (const go of batch) go()
  }
  private sendInBatch<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.outbox.push(() => send().then(resolve, reject))
      if (this.appending <= 1) this.flushOutbox()
      else if (this.outbox.length === 1) setImmediate(this.flushOutbox)
    })
  }

  /** How many stream heads the writer holds (bounded by `cachedStreamHeads`). */
  get cachedHeads(): number {
    return this.heads.size
  }

  /** Seals holding or waiting for the lock (those that had to read something first). */
  private sealsLocked = 0

  private withSealLock<T>(f: () => Promise<T>): Promise<T> {
    // Released by the caller once its publish is queued (appendOnce), so no
    // synchronous seal can slip in between and publish out of order.
    this.sealsLocked++
    const run = this.sealing.then(f, f)
    this.sealing = run.catch(() => undefined)
    return run
  }

  private mismatch(p: PreparedAppend, h: StreamHead): boolean {
    const expected = p.expectedRevision
    return (expected === "no_stream" && h.revision !== undefined) || (typeof expected === "number" && expected !== h.revision)
  }

  /**
   * Seal a commit on the current head. Synchronous when nothing has to be
   * read first (the log head and the stream's head known, no seal waiting
   * for the lock): the usual case in a running process, and then an append
   * costs no promise before its publish. Otherwise it takes the seal lock.
   */
  private seal(p: PreparedAppend, fetched: StreamHead | undefined, msgId: string): Sealed | Promise<Sealed> {
    if (this.sealsLocked === 0 && this.head !== undefined) {
      const cached = this.heads.get(p.stream)
      const known = cached ?? fetched
      // A mismatch against the cache is re-read under the lock (below).
      if (known !== undefined && !(known === cached && this.mismatch(p, known))) return this.sealOn(this.head, known, p, msgId)
    }
    return this.withSealLock(async () => {
      const head = (this.head ??= await this.loadHead())
      const cached = this.heads.get(p.stream)
      let streamHead = cached ?? fetched ?? (await this.loadStreamHead(p.stream))
      // The cache only knows this process's writes; another process may have
      // moved the stream since, so a mismatch against the cache is re-checked
      // against the store before it becomes the caller's error.
      if (streamHead === cached && this.mismatch(p, streamHead)) streamHead = await this.loadStreamHead(p.stream)
      return this.sealOn(head, streamHead, p, msgId)
    })
  }

  private sealOn(head: Head, streamHead: StreamHead, p: PreparedAppend, msgId: string): Sealed {
    const generation = this.generation
    // A mismatch is not reported here: the command may be a retry of one
    // already stored, and only the server knows (it checks msgID duplicates
    // before expectations). The commit is published as is and can only come
    // back as a duplicate or a wrong-last-sequence error; it must not move
    // our optimistic view.
    const doomed = this.mismatch(p, streamHead)
    const firstStreamPosition = streamHead.revision === undefined ? 0 : streamHead.revision + 1
    const sealed = sealCommit({
      tip: head,
      stream: p.stream,
      firstStreamPosition,
      events: p.events,
      metadata: p.metadata,
      recordedAt: this.now().toISOString(),
      canonical: p.canonical
    })
    const events = sealedToRecorded(sealed.events, p.decoded)
    if (!doomed) {
      this.head = { ...sealed.tip, msgId, optimistic: true }
      this.heads.set(p.stream, {
        revision: events[events.length - 1]!.streamPosition,
        subjectSeq: sealed.tip.globalPosition,
        generation
      })
    }
    const expected = p.expectedRevision
    return {
      payload: commitTextBytes(sealed.json),
      tip: sealed.tip,
      expectedLastSeq: head.globalPosition,
      expectedLastMsgId: head.optimistic ? head.msgId : undefined,
      // A doomed commit carries an expectation the server cannot satisfy.
      expectedSubjectSeq: doomed ? (expected === "no_stream" ? 0 : Number.MAX_SAFE_INTEGER) : streamHead.subjectSeq,
      events,
      generation: doomed ? -1 : generation
    }
  }

  async append(p: PreparedAppend): Promise<AppendResult> {
    const timer = appendSeconds.startTimer()
    this.appending++
    let result: AppendResult
    try {
      result = await this.appendOnce(p)
    } finally {
      this.appending--
    }
    timer()
    appendsTotal.inc({ outcome: result.duplicate ? "duplicate" : "committed" })
    return result
  }

  private async appendOnce(p: PreparedAppend): Promise<AppendResult> {
    // Already validated and parsed by prepareAppend.
    const subject = this.subjectFor(p.streamName)
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
      if (!this.heads.has(p.stream)) {
        // A new stream is assumed empty on the first try (no read); a retry
        // asks the store (a foreign message may hold the subject's last sequence).
        fetched =
          p.expectedRevision === "no_stream" && attempt === 1 ? { revision: undefined, subjectSeq: 0 } : await this.loadStreamHead(p.stream)
      }
      const sealing = this.seal(p, fetched, msgId)
      const locked = sealing instanceof Promise
      let sealed: Sealed
      try {
        sealed = locked ? await sealing : sealing
      } catch (error) {
        if (locked) this.sealsLocked--
        throw error
      }
      try {
        const publishing = this.sendInBatch(() =>
          this.js.publish(subject, sealed.payload, {
            msgID: msgId,
            expect: {
              lastSequence: sealed.expectedLastSeq,
              lastSubjectSequence: sealed.expectedSubjectSeq,
              ...(sealed.expectedLastMsgId === undefined ? {} : { lastMsgID: sealed.expectedLastMsgId })
            }
          })
        )
        if (locked) this.sealsLocked--
        const ack = await publishing
        if (ack.duplicate) {
          // The command was stored before (a retry): nothing new was appended,
          // so the head we advanced optimistically is wrong.
          this.forget(p.stream, sealed.generation)
          // The commit the server points at, if it is this command's (a
          // clustered stream may answer without a sequence, or remember an id
          // it never stored: then the stream itself says).
          const atSeq = ack.seq > 0 ? await this.commitAt(ack.seq).catch(() => [] as ReadonlyArray<RecordedEvent>) : []
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
          this.forget(p.stream, sealed.generation)
          throw new EventStoreUnavailable({ reason: `stored at ${ack.seq}, sealed for ${sealed.tip.globalPosition}` })
        }
        // Acknowledged: if nothing was sealed on top meanwhile, the head is now confirmed.
        if (this.head && this.head.globalPosition === ack.seq && this.head.msgId === msgId) this.head = { ...this.head, optimistic: false }
        return {
          globalPosition: ack.seq,
          nextExpectedRevision: sealed.events[sealed.events.length - 1]!.streamPosition,
          events: sealed.events,
          duplicate: false
        }
      } catch (error) {
        this.forget(p.stream, sealed.generation)
        if (!(error instanceof JetStreamApiError && (error.code === WRONG_LAST_SEQUENCE || error.code === WRONG_LAST_MSG_ID))) throw error
        // Which expectation failed? Ask the stream itself.
        const actual = await this.loadStreamHead(p.stream)
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
    const { subjectSeq } = head ?? (await this.loadStreamHead(stream))
    return subjectSeq < fromSeq ? [] : (await this.collect(this.subjectOf(stream), subjectSeq, fromSeq)).filter((e) => e.metadata.commandId === commandId)
  }

  // ---- streams of commits --------------------------------------------------

  async readStream(stream: string, fromRevision: number, after?: number): Promise<ReadonlyArray<RecordedEvent>> {
    const subject = this.subjectOf(stream)
    const last = await this.fromLeader({ last_by_subj: subject })
    if (!last) throw new StreamNotFound({ stream })
    // A caller that has the stream folded up to fromRevision − 1 (the command
    // handler's cache, the fact loaders' histories) usually needs nothing, or
    // only the last commit: that message is already here, so no consumer and
    // no read from the start. Commits on a stream hold contiguous positions,
    // so when the last one starts at or before fromRevision it holds
    // everything from there on.
    if (fromRevision > 0) {
      const entry = this.toEntry(last.subject, last.data, last.seq)
      if (entry._tag === "Commit" && entry.events[0]!.streamPosition <= fromRevision) return entry.events.filter((e) => e.streamPosition >= fromRevision)
      // Several commits since: read them from just after the caller's last
      // event, not the whole stream again (a task's stream, read for every
      // draw and join, grew quadratically in reads). The hint is checked: the
      // first event found must be the one asked for, else read it all.
      if (after !== undefined && after < last.seq) {
        const tail = (await this.collect(subject, last.seq, after + 1)).filter((e) => e.streamPosition >= fromRevision)
        if (tail[0]?.streamPosition === fromRevision) return tail
      }
    }
    const events = (await this.collect(subject, last.seq)).filter((e) => e.streamPosition >= fromRevision)
    if (events.length === 0 && fromRevision === 0) throw new StreamNotFound({ stream })
    return events
  }

  /** The sealed events on a subject from one sequence up to another (foreign messages skipped). */
  private async collect(subject: string, endSeq: number, fromSeq = 1): Promise<Array<RecordedEvent>> {
    const events: Array<RecordedEvent> = []
    for await (const batch of this.consume(subject, fromSeq, endSeq)) {
      for (const entry of batch) if (entry._tag === "Commit") events.push(...entry.events)
    }
    return events
  }

  entries(options: ValidatedReadOptions, mode: "read" | "subscribe"): AsyncIterable<ReadonlyArray<LogEntry>> {
    const p = this.config.subjectPrefix
    const filter = options.stream
      ? this.subjectOf(options.stream)
      : options.aggregate
        ? `${p}.${options.aggregate}.*`
        : `${p}.>`
    if (mode === "subscribe") return this.consume(filter, options.fromPosition, Infinity)
    const self = this
    return {
      async *[Symbol.asyncIterator]() {
        // End = the last matching message now (direct get by subject works
        // with wildcards). Reads stop at that exact sequence: the server's
        // num_pending is not trusted to say "nothing more" (it is a count
        // maintained for a wildcard-filtered consumer while others append).
        const last = await self.jsm.direct.getMessage(self.config.streamName, { last_by_subj: filter })
        if (!last || last.seq < options.fromPosition) return
        yield* self.consume(filter, options.fromPosition, last.seq)
      }
    }
  }

  /** The log's entries on `filter` from `fromSeq` through `endSeq` (never ending for Infinity). */
  private consume(filter: string, fromSeq: number, endSeq: number): AsyncIterable<ReadonlyArray<LogEntry>> {
    return consumeLog(this.js, this.config, filter, fromSeq, endSeq)
  }
}

/** The EventStore on JetStream, over the process's NatsClient. */
export const layerJetStream = (config: Partial<JetStreamEventStoreConfig> = {}) =>
  Layer.effect(
    EventStore,
    Effect.gen(function* () {
      const { connection } = yield* NatsClient
      const log = yield* Effect.tryPromise({
        try: () => JetStreamLog.open(connection, { ...defaultJetStreamConfig, ...config }),
        catch: (e) => new EventStoreUnavailable({ reason: e instanceof Error ? e.message : String(e) })
      })
      return toEventStore(log)
    })
  )
