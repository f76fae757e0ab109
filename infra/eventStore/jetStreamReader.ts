import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream"
import { CorruptEvent, EventStoreUnavailable, streamNotFound, type LogEntry } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { parseStreamName, type StreamName } from "../../domain/streamName"
import type { ValidatedReadOptions } from "./backend"
import { commitText, decodeCommit, parseCommitText } from "./codec"
import { rememberStoredCommit } from "./storedText"

export interface StreamHead {
  /** Revision (stream position of the last event), undefined when the stream is empty. */
  readonly revision: number | undefined
  /** JetStream sequence of the stream's last commit, 0 when empty. */
  readonly subjectSeq: number
}

/**
 * Decode a stored message. Anything that is not a sealed commit at its own
 * position is foreign (only the API should be able to write the log, but a
 * leaked credential must not be able to stop every writer and reader): it is
 * skipped by readers, linked over by writers, listed by the audit.
 */
export const toLogEntry = (subjectPrefix: string, subject: string, data: Uint8Array, seq: number, keepStored = false): LogEntry => {
  try {
    const text = commitText(data)
    const events = decodeCommit(parseCommitText(text, seq), seq)
    // The log as stored (readLog: audits, GET /events/verify) keeps each event's stored bytes
    // for a verifier (storedText.ts); replays, subscriptions and streams' histories do not.
    if (keepStored) rememberStoredCommit(events, data)
    return { _tag: "Commit", events }
  } catch (e) {
    if (!(e instanceof CorruptEvent)) throw e
    const prefix = `${subjectPrefix}.`
    const [aggregate, id] = subject.startsWith(prefix) ? subject.slice(prefix.length).split(".") : [subject, ""]
    // The reason quotes attacker-chosen bytes: keep it printable and short.
    const reason = e.reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 200)
    return { _tag: "Foreign", globalPosition: seq, stream: `${aggregate}-${id}`, reason }
  }
}

/** At most this many entries in one batch (a replay's memory per hop stays small). */
const MAX_BATCH = 1024
/** A pending count above this is messages, whatever nats.js's queued callbacks add to it (consumeLog). */
const SURELY_MESSAGES = 64
/** Microtask turns a buffered message is given to settle before a batch ends without it (consumeLog). */
const SETTLE_TURNS = 8

/**
 * Ordered consumer from `fromSeq`, decoding each message into a log entry,
 * in batches: each step waits for the next message and takes along every
 * message that has already arrived behind it, so a replay pays one hop
 * through the readers' streams per batch instead of per message (the
 * per-message hops were a third of a replay's time). Stops after `endSeq`
 * (never, for a subscription). Returning early (break / stream interruption)
 * stops the consumer and deletes it on the server.
 */
export const consumeLog = (
  js: JetStreamClient,
  config: { readonly streamName: string; readonly subjectPrefix: string },
  filter: string,
  fromSeq: number,
  endSeq: number,
  /** Keep each event's stored bytes beside it (toLogEntry). */
  keepStored = false
): AsyncIterable<ReadonlyArray<LogEntry>> => ({
  [Symbol.asyncIterator]() {
    type Consumer = Awaited<ReturnType<typeof js.consumers.get>>
    let messages: Awaited<ReturnType<Consumer["consume"]>> | undefined
    let iterator: AsyncIterator<JsMsg> | undefined
    let consumer: Consumer | undefined
    let finished = false
    // A message asked for in one batch and not yet here: the next batch starts with it.
    let ahead: Promise<IteratorResult<JsMsg>> | undefined
    const stop = () => {
      finished = true
      // Never await close() here: in nats.js 3 it can wait on the very
      // iteration we are inside of.
      messages?.stop()
      // An ordered consumer outlives stop() on the server (5 minutes of
      // inactivity): delete it now, or every short-lived reader (an SSE
      // client that connects and leaves) leaves one behind.
      const done = consumer
      consumer = undefined
      if (done && "delete" in done) void (done as unknown as { delete(): Promise<unknown> }).delete().catch(() => undefined)
    }
    return {
      async next(): Promise<IteratorResult<ReadonlyArray<LogEntry>>> {
        if (finished) return { done: true, value: undefined }
        if (!iterator) {
          consumer = await js.consumers.get(config.streamName, {
            filter_subjects: filter,
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: fromSeq
          })
          messages = await consumer.consume({ max_messages: 1024 })
          iterator = messages[Symbol.asyncIterator]()
          // Stopped while the consumer was being created: release it at once.
          if (finished) {
            stop()
            return { done: true, value: undefined }
          }
        }
        const r = await (ahead ?? iterator.next())
        ahead = undefined
        if (r.done) {
          finished = true
          return { done: true, value: undefined }
        }
        const batch: Array<LogEntry> = []
        for (let msg = r.value; ; ) {
          batch.push(toLogEntry(config.subjectPrefix, msg.subject, msg.data, msg.seq, keepStored))
          if (msg.seq >= endSeq) {
            stop()
            break
          }
          const pending = messages!.getPending()
          if (pending === 0 || batch.length >= MAX_BATCH) break
          // Take along what is already here: the consumer's buffer holds it, so next() settles
          // within this turn. Not waited for beyond it: the client's pending count can say there
          // is more when there is not (nats.js counts the callbacks it queues among the messages,
          // and does not uncount them until its next chunk), and a subscription that waited here
          // held the batch it had, the end of a catch-up included, until the log's next message
          // arrived (the last ~70 of 40,000 commits, in scratch runs of a projector's start).
          // Far above those few callbacks, the count is messages, and next() is awaited as it is.
          // Near them, next() gets a few microtask turns to settle (a buffered message settles in
          // two or three) and is otherwise kept for the next batch: racing it against the end of
          // the turn instead cost a replay ~15 %.
          const more = iterator.next()
          let settled: IteratorResult<JsMsg> | undefined
          if (pending > SURELY_MESSAGES) settled = await more
          else {
            // The rejection handler also marks a failure handled: the next batch awaits `more` and meets it there.
            void more.then((result) => void (settled = result), () => undefined)
            for (let turn = 0; turn < SETTLE_TURNS && settled === undefined; turn++) await undefined
          }
          if (settled === undefined) {
            ahead = more
            break
          }
          if (settled.done) {
            finished = true
            break
          }
          msg = settled.value
        }
        return { done: false, value: batch }
      },
      async return(): Promise<IteratorResult<ReadonlyArray<LogEntry>>> {
        stop()
        return { done: true, value: undefined }
      }
    }
  }
})

/**
 * Reads of the log on JetStream: single messages (from the stream's leader,
 * see `fromLeader` and `lastOnSubject`), a stream's commits, and the log in
 * global order through ordered consumers (`consumeLog`).
 */
export class LogReads {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly config: { readonly streamName: string; readonly subjectPrefix: string },
    /** The stream has one replica (it said so when the log was opened). */
    private readonly singleCopy: boolean
  ) {}

  subjectFor({ aggregate, id }: StreamName): string {
    return `${this.config.subjectPrefix}.${aggregate}.${id}`
  }

  subjectOf(stream: string): string {
    const parsed = parseStreamName(stream)
    if ("invalid" in parsed) throw new Error(parsed.invalid)
    return this.subjectFor(parsed)
  }

  // ---- reads of single messages (direct get: no consumer needed) ----------

  async commitAt(seq: number): Promise<ReadonlyArray<RecordedEvent>> {
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
  fromLeader(query: { seq: number }) {
    return this.jsm.streams.getMessage(this.config.streamName, query)
  }

  /**
   * The last message on a subject, from the leader. A stream with a single
   * copy has no follower to lag, so there the direct get (raw bytes, no JSON
   * wrapper, no error object for a missing subject) is the leader's answer:
   * 12–37 µs of CPU and 35–75 µs of waiting less per read, measured, and
   * a command reads one or two streams. A stream scaled up later is read
   * through the API again once the process reopens the log.
   */
  lastOnSubject(subject: string) {
    return this.singleCopy
      ? this.jsm.direct.getMessage(this.config.streamName, { last_by_subj: subject })
      : this.jsm.streams.getMessage(this.config.streamName, { last_by_subj: subject })
  }

  /** The message at a sequence as a log entry: a sealed commit, or foreign bytes. */
  async entryAt(seq: number): Promise<LogEntry | undefined> {
    const msg = await this.fromLeader({ seq })
    return msg ? this.toEntry(msg.subject, msg.data, msg.seq) : undefined
  }

  toEntry(subject: string, data: Uint8Array, seq: number): LogEntry {
    return toLogEntry(this.config.subjectPrefix, subject, data, seq)
  }

  async loadStreamHead(stream: string): Promise<StreamHead> {
    const msg = await this.lastOnSubject(this.subjectOf(stream))
    if (!msg) return { revision: undefined, subjectSeq: 0 }
    const entry = this.toEntry(msg.subject, msg.data, msg.seq)
    if (entry._tag === "Commit") return { revision: entry.events[entry.events.length - 1]!.streamPosition, subjectSeq: msg.seq }
    // The subject's last message is foreign: the revision is that of its last
    // sealed commit, while the server's last subject sequence is the foreign one.
    const events = await this.collect(this.subjectOf(stream), msg.seq)
    return { revision: events.length === 0 ? undefined : events[events.length - 1]!.streamPosition, subjectSeq: msg.seq }
  }

  async headPosition(): Promise<number> {
    const info = await this.jsm.streams.info(this.config.streamName)
    return info.state.last_seq
  }

  // ---- streams of commits --------------------------------------------------

  async readStream(stream: string, fromRevision: number, after?: number): Promise<ReadonlyArray<RecordedEvent>> {
    const subject = this.subjectOf(stream)
    const last = await this.lastOnSubject(subject)
    if (!last) throw streamNotFound(stream)
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
    if (events.length === 0 && fromRevision === 0) throw streamNotFound(stream)
    return events
  }

  /** The sealed events on a subject from one sequence up to another (foreign messages skipped). */
  async collect(subject: string, endSeq: number, fromSeq = 1): Promise<Array<RecordedEvent>> {
    const events: Array<RecordedEvent> = []
    for await (const batch of this.consume(subject, fromSeq, endSeq)) {
      for (const entry of batch) if (entry._tag === "Commit") events.push(...entry.events)
    }
    return events
  }

  entries(options: ValidatedReadOptions, mode: "read" | "subscribe", keepStored = false): AsyncIterable<ReadonlyArray<LogEntry>> {
    const p = this.config.subjectPrefix
    const filter = options.stream
      ? this.subjectOf(options.stream)
      : options.aggregate
        ? `${p}.${options.aggregate}.*`
        : `${p}.>`
    if (mode === "subscribe") return this.consume(filter, options.fromPosition, Infinity, keepStored)
    const self = this
    return {
      async *[Symbol.asyncIterator]() {
        // End = the last matching message now (direct get by subject works
        // with wildcards). Reads stop at that exact sequence: the server's
        // num_pending is not trusted to say "nothing more" (it is a count
        // maintained for a wildcard-filtered consumer while others append).
        const last = await self.jsm.direct.getMessage(self.config.streamName, { last_by_subj: filter })
        if (!last || last.seq < options.fromPosition) return
        yield* self.consume(filter, options.fromPosition, last.seq, keepStored)
      }
    }
  }

  /** The log's entries on `filter` from `fromSeq` through `endSeq` (never ending for Infinity). */
  consume(filter: string, fromSeq: number, endSeq: number, keepStored = false): AsyncIterable<ReadonlyArray<LogEntry>> {
    return consumeLog(this.js, this.config, filter, fromSeq, endSeq, keepStored)
  }
}
