import { chainVerifier, EMPTY_TIP, type ChainBreak, type ChainTip, type ChainVerification, type LinkedEvent } from "./hashChain"
import { decodeStoredMessage } from "./storedMessage"
import { storedSpans } from "./storedText"

/**
 * Verifying the log from its stored bytes, a batch of messages at a time on
 * any thread (what GET /events/verify runs on JetStream: wholeLog.ts). A
 * batch is decoded as every reader decodes the log (storedMessage.ts) and
 * its events' hashes and links are checked as `chainVerifier` checks them;
 * only its first event's order and link to the events before the batch are
 * left to the caller, who holds the chain's tip there (`verdictStitcher`).
 * Decoding on the verifying thread, not the reading one, is what lets a
 * verification use two cores: decoding and hashing are ~4/5 of its work.
 */

/** A batch of stored messages as it travels to a thread: plain data (domain/ports.ts `StoredLogBatch` less `streamAt`). */
export interface StoredBatchJob {
  readonly bytes: Uint8Array
  readonly ends: Uint32Array
  readonly positions: Float64Array
}

/** Stored messages as one batch: their bytes copied side by side, where each ends, and their positions. */
export const storedBatchJob = (messages: ReadonlyArray<{ readonly data: Uint8Array; readonly seq: number }>): StoredBatchJob => {
  let total = 0
  for (const m of messages) total += m.data.length
  const bytes = new Uint8Array(total)
  const ends = new Uint32Array(messages.length)
  const positions = new Float64Array(messages.length)
  let offset = 0
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    bytes.set(m.data, offset)
    offset += m.data.length
    ends[i] = offset
    positions[i] = m.seq
  }
  return { bytes, ends, positions }
}

export interface StoredBatchVerdict {
  /** Sealed events in the batch. */
  readonly events: number
  /** The batch's first sealed event: its order and link to the events before the batch are the caller's to check. */
  readonly first?: LinkedEvent
  /** Events verified from the first on (all, or those before the break). */
  readonly verified: number
  /** The chain after them, and the index in the tip's commit that would continue it. */
  readonly tip?: ChainTip
  readonly nextIndex: number
  /** The first break in the batch after its first event's link. */
  readonly break?: ChainBreak
  /** Messages that are not sealed commits: their index in the batch and why. */
  readonly foreign: ReadonlyArray<{ readonly index: number; readonly reason: string }>
}

/** One batch's verdict. Pure: the same on any thread. */
export const checkStoredBatch = (job: StoredBatchJob): StoredBatchVerdict => {
  let verifier: ReturnType<typeof chainVerifier> | undefined
  let first: LinkedEvent | undefined
  let broken: ChainBreak | undefined
  let events = 0
  const foreign: Array<{ readonly index: number; readonly reason: string }> = []
  let start = 0
  for (let i = 0; i < job.positions.length; i++) {
    const bytes = job.bytes.subarray(start, job.ends[i]!)
    start = job.ends[i]!
    const decoded = decodeStoredMessage(bytes, job.positions[i]!)
    if (decoded._tag === "Foreign") {
      foreign.push({ index: i, reason: decoded.reason })
      continue
    }
    events += decoded.events.length
    if (broken) continue
    // The bytes each event's hash covers, cut from the message here (not kept beside the
    // events as readLog keeps them: a WeakMap entry per event cost ~1/5 of a batch's time in collections).
    const spans = storedSpans(bytes, decoded.events.length, decoded.events[0]!.hash)
    for (let k = 0; k < decoded.events.length && !broken; k++) {
      const e = decoded.events[k]!
      if (verifier === undefined) {
        first = { globalPosition: e.globalPosition, indexInCommit: e.indexInCommit, id: e.id, prevHash: e.prevHash, hash: e.hash }
        // A tip the first event continues whatever its place: its order and link are the caller's; its hash is checked here.
        verifier = chainVerifier({ globalPosition: e.globalPosition, hash: e.prevHash }, e.indexInCommit)
      }
      broken = verifier.pushStored(e, spans?.[k])
    }
  }
  return {
    events,
    verified: verifier?.verified ?? 0,
    nextIndex: verifier?.nextIndex ?? 0,
    foreign,
    ...(first === undefined ? {} : { first }),
    ...(verifier === undefined ? {} : { tip: verifier.tip }),
    ...(broken === undefined ? {} : { break: broken })
  }
}

/**
 * Batch verdicts, in the log's order, into the whole log's verification:
 * `chainVerifier`'s answer for the same events (the count, the tip, the
 * first break). Each batch's first event is checked against the tip the
 * batches before it left; nothing after a break counts.
 */
export const verdictStitcher = (from: ChainTip = EMPTY_TIP) => {
  let tip = from
  let nextIndex = 0
  let verified = 0
  let broken: ChainBreak | undefined
  return {
    add(verdict: StoredBatchVerdict): void {
      if (broken || verdict.first === undefined) return
      const link = chainVerifier(tip, nextIndex).pushClaimed(verdict.first)
      if (link) {
        broken = link
        return
      }
      verified += verdict.verified
      if (verdict.break) {
        broken = verdict.break
        return
      }
      tip = verdict.tip!
      nextIndex = verdict.nextIndex
    },
    result(): ChainVerification {
      return broken ? { ok: false, verified, break: broken } : { ok: true, verified, tip }
    }
  }
}
