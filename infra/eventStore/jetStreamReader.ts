import { DeliverPolicy, type JetStreamClient, type JsMsg } from "@nats-io/jetstream"
import { CorruptEvent, type LogEntry } from "../../domain/ports"
import { decodeCommit, parseCommitBytes } from "./codec"

/**
 * Decode a stored message. Anything that is not a sealed commit at its own
 * position is foreign (only the API should be able to write the log, but a
 * leaked credential must not be able to stop every writer and reader): it is
 * skipped by readers, linked over by writers, listed by the audit.
 */
export const toLogEntry = (subjectPrefix: string, subject: string, data: Uint8Array, seq: number): LogEntry => {
  try {
    return { _tag: "Commit", events: decodeCommit(parseCommitBytes(data, seq), seq) }
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
  endSeq: number
): AsyncIterable<ReadonlyArray<LogEntry>> => ({
  [Symbol.asyncIterator]() {
    type Consumer = Awaited<ReturnType<typeof js.consumers.get>>
    let messages: Awaited<ReturnType<Consumer["consume"]>> | undefined
    let iterator: AsyncIterator<JsMsg> | undefined
    let consumer: Consumer | undefined
    let finished = false
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
        const r = await iterator.next()
        if (r.done) {
          finished = true
          return { done: true, value: undefined }
        }
        const batch: Array<LogEntry> = []
        for (let msg = r.value; ; ) {
          batch.push(toLogEntry(config.subjectPrefix, msg.subject, msg.data, msg.seq))
          if (msg.seq >= endSeq) {
            stop()
            break
          }
          // Take along what is already here: the consumer's buffer holds it, so next() settles at once.
          if (messages!.getPending() === 0 || batch.length >= MAX_BATCH) break
          const more = await iterator.next()
          if (more.done) {
            finished = true
            break
          }
          msg = more.value
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
