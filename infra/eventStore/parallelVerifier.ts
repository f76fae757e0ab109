import type { RecordedEvent } from "../../domain/recordedEvent"
import { chainVerifier, type ChainBreak, type ChainTip, type ChainVerification, EMPTY_TIP, hashMismatch, recordedEventHash } from "./hashChain"
import { confirmStoredHashes } from "./hashCheckPool"

/** Jobs in flight before `push` asks its caller to wait (a reader faster than the hashing holds at most this many batches). */
const MAX_IN_FLIGHT = 4

interface Job {
  /** Index (in the whole verification) of the job's first event. */
  readonly first: number
  readonly events: ReadonlyArray<RecordedEvent>
  readonly done: Promise<void>
}

/**
 * `chainVerifier` with the hashing on other cores (hashCheckPool.ts): the
 * same answers, the first break included. Each pushed batch is checked for
 * order and links at once, against the hashes the events claim; whether each
 * event's content hashes to its claimed hash is checked meanwhile on a worker
 * thread (an event whose stored bytes do not, or are not known, by the
 * definition, here). The first event that fails either check is the break,
 * as in `chainVerifier`: events before it verified, nothing after it counts.
 */
export const parallelChainVerifier = (from: ChainTip = EMPTY_TIP) => {
  // Order and links, event by event, over the claimed hashes (no hashing: `recompute` answers the claim).
  const links = chainVerifier(from)
  let pushed = 0
  let linkBreak: { readonly index: number; readonly at: ChainBreak } | undefined
  let hashBreak: { readonly index: number; readonly at: ChainBreak } | undefined
  const inFlight: Array<Job> = []

  const settle = (job: Job, confirmed: Uint8Array) => {
    for (let i = 0; i < job.events.length; i++) {
      const index = job.first + i
      if (hashBreak && hashBreak.index < index) return
      if (confirmed[i] === 1) continue
      // Not confirmed from the stored bytes: the definition decides (as chainVerifier's push does).
      const event = job.events[i]!
      const recomputed = recordedEventHash(event)
      if (recomputed !== event.hash) {
        hashBreak = { index, at: hashMismatch(event, recomputed) }
        return
      }
    }
  }

  return {
    /** Feed the next events in global order; a promise when the caller should wait before the next batch. */
    push(events: ReadonlyArray<RecordedEvent>): Promise<void> | undefined {
      // Past a break nothing counts: the rest is neither linked nor hashed.
      if (linkBreak || hashBreak || events.length === 0) return undefined
      let linked = events.length
      for (let i = 0; i < events.length; i++) {
        const broken = links.pushClaimed(events[i]!)
        if (broken) {
          linkBreak = { index: pushed + i, at: broken }
          linked = i
          break
        }
      }
      const checked = linked === events.length ? events : events.slice(0, linked)
      const first = pushed
      pushed += linked
      if (checked.length === 0) return undefined
      const entry: Job = {
        first,
        events: checked,
        done: confirmStoredHashes(checked).then((confirmed) => settle(entry, confirmed))
      }
      inFlight.push(entry)
      // Either way it leaves the list; a failure reaches the caller through `result` (or the wait `push` returned).
      const leave = () => void inFlight.splice(inFlight.indexOf(entry), 1)
      void entry.done.then(leave, leave)
      return inFlight.length >= MAX_IN_FLIGHT ? inFlight[0]!.done : undefined
    },
    /** The verification of everything pushed: the first break, or how many verified and the tip. */
    async result(): Promise<ChainVerification> {
      await Promise.all(inFlight.map((j) => j.done))
      const first = [hashBreak, linkBreak].filter((b) => b !== undefined).sort((a, b) => a.index - b.index)[0]
      if (first) return { ok: false, verified: first.index, break: first.at }
      return { ok: true, verified: links.verified, tip: links.tip }
    }
  }
}
