import { anchorGas } from "../infra/metrics"
import { Effect, Fiber, Stream } from "effect"
import { anchorStream } from "../domain/anchor/events"
import { readWholeLog } from "../infra/eventStore/wholeLog"
import type { EventStore } from "../domain/ports"
import type { Hash32 } from "../domain/primitives"
import type { RecordedEvent } from "../domain/recordedEvent"
import { rootOfEvents } from "./anchor"
import { AnchorRejected, describeError, type ChainClient, type OnChainAnchor } from "./ChainClient"

/**
 * The chain bridge: follows the log and anchors it in contiguous batches
 * (cut by count or by time), one transaction per batch, then records
 * `BatchAnchored` in the log once the receipt is in.
 *
 * Restart-safe by construction: the contract's `lastSeq` is the truth about
 * what is anchored, so the bridge resumes right after it (it cannot skip a
 * range: the contract rejects a non-contiguous anchor; it cannot double-anchor:
 * same reason). An anchor whose `BatchAnchored` never made it into the log
 * (a crash between receipt and append) is recorded from the chain's
 * `Anchored` logs at start. `BatchAnchored` ids are derived from the anchor
 * index, so recording twice is a no-op.
 *
 * A batch holding only the bridge's own BatchAnchored events is not anchored
 * on its own (that would anchor forever); it rides along with the next batch.
 */
export interface BridgeOptions {
  readonly store: EventStore["Service"]
  readonly chain: ChainClient
  /**
   * Records an anchor in the log. The bridge has no write access to the log:
   * in production this signs `RecordAnchor` for the API, which checks it
   * against the chain (nodes/bridge/main.ts). Recording an anchor twice is fine.
   */
  readonly record: (anchor: AnchorRecord) => Promise<void>
  readonly batchSize?: number
  readonly maxWaitMs?: number
  readonly log?: (line: string) => void
}

/** What RecordAnchor carries: an anchor as the chain holds it, plus the events it covers. */
export interface AnchorRecord {
  readonly chainId: number
  readonly contract: string
  readonly index: number
  readonly fromPosition: number
  readonly toPosition: number
  readonly eventCount: number
  readonly root: Hash32
  readonly txHash: Hash32
  readonly blockNumber: number
}

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)

const readRange = (store: EventStore["Service"], from: number, to: number) => run(readWholeLog(store, { fromPosition: from, toPosition: to }))

export const anchorRecord = (chain: ChainClient, a: OnChainAnchor, eventCount: number): AnchorRecord => ({
  chainId: chain.chainId,
  contract: chain.contract.toLowerCase(),
  index: a.index,
  fromPosition: a.fromSeq,
  toPosition: a.toSeq,
  eventCount,
  root: a.root as Hash32,
  txHash: a.txHash as Hash32,
  blockNumber: a.blockNumber
})

/**
 * Why a read of [from..to] is not the whole range, or undefined when it is.
 * Foreign messages (not sealed commits) hold positions too: they count as
 * read, but are no leaves (they are outside the hash chain).
 */
export const describeGaps = (
  events: ReadonlyArray<RecordedEvent>,
  from: number,
  to: number,
  foreignPositions: ReadonlyArray<number> = []
): string | undefined => {
  const foreign = new Set(foreignPositions)
  const skipForeign = (position: number) => {
    while (foreign.has(position)) position++
    return position
  }
  let expected = { position: skipForeign(from), index: 0 }
  for (const e of events) {
    if (e.globalPosition !== expected.position || e.indexInCommit !== expected.index) {
      return `expected ${expected.position}.${expected.index}, read ${e.globalPosition}.${e.indexInCommit}`
    }
    expected =
      e.indexInCommit === e.commitSize - 1 ? { position: skipForeign(e.globalPosition + 1), index: 0 } : { position: e.globalPosition, index: e.indexInCommit + 1 }
  }
  return expected.position === to + 1 && expected.index === 0 ? undefined : `read up to ${expected.position - 1}, range ends at ${to}`
}

export const startBridge = async (options: BridgeOptions) => {
  const { store, chain } = options
  const batchSize = options.batchSize ?? 1000
  const maxWaitMs = options.maxWaitMs ?? 2000
  const log = options.log ?? (() => undefined)

  // What the chain has but the log does not say yet.
  const recorded = new Set(
    (await run(store.readStream(anchorStream(chain.chainId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as ReadonlyArray<RecordedEvent>)))))
      .map((e) => e.data)
      .filter((d) => d._tag === "BatchAnchored" && d.contract === chain.contract.toLowerCase())
      .map((d) => `${(d as { index: number }).index}:${(d as { root: string }).root}`)
  )
  for (const a of await chain.anchors()) {
    if (recorded.has(`${a.index}:${a.root}`)) continue
    log(`recording anchor #${a.index} [${a.fromSeq}..${a.toSeq}] found on chain but missing from the log`)
    await options.record(anchorRecord(chain, a, (await readRange(store, a.fromSeq, a.toSeq)).events.length))
  }

  let next = (await chain.lastSeq()) + 1
  let highest = next - 1
  let seen = 0
  let flushing: Promise<void> | undefined
  let lastFlush = Date.now()
  const anchored: Array<{ fromSeq: number; toSeq: number; gasUsed: bigint; txHash: string; latencyMs: number }> = []

  const flush = async (): Promise<void> => {
    if (highest < next) return
    const from = next
    const to = highest
    const { events, foreign } = await readRange(store, from, to)
    if (events.length === 0 || events.every((e) => e.data._tag === "BatchAnchored")) return
    // Never anchor a range we did not read whole: every position, every commit complete.
    const incomplete = describeGaps(events, from, to, foreign.map((f) => f.globalPosition))
    if (incomplete) {
      log(`not anchoring [${from}..${to}] yet: ${incomplete}`)
      return
    }
    const started = performance.now()
    const root = rootOfEvents(events)
    try {
      const receipt = await chain.anchor(root, from, to)
      await options.record(anchorRecord(chain, { index: receipt.index, root, fromSeq: from, toSeq: to, blockNumber: receipt.blockNumber, txHash: receipt.txHash }, events.length))
      next = to + 1
      seen = 0
      const latencyMs = performance.now() - started
      anchored.push({ fromSeq: from, toSeq: to, gasUsed: receipt.gasUsed, txHash: receipt.txHash, latencyMs })
      anchorGas.observe(Number(receipt.gasUsed))
      log(`anchored [${from}..${to}] (${events.length} events) root ${root.slice(0, 10)}… in tx ${receipt.txHash.slice(0, 10)}…, ${receipt.gasUsed} gas`)
    } catch (e) {
      if (e instanceof AnchorRejected) {
        // Someone else (a previous run) anchored meanwhile: resync from the chain.
        next = (await chain.lastSeq()) + 1
        log(`anchor refused (${e.reason}); resuming after ${next - 1}`)
        return
      }
      throw e
    }
  }
  /** One flush at a time: a flush holds the slot until it ends; the caller gets its outcome. */
  const inSlot = (): Promise<void> => {
    const mine = flush()
    flushing = mine
      .catch(() => undefined)
      .finally(() => {
        flushing = undefined
        lastFlush = Date.now()
      })
    return mine
  }
  const schedule = (force: boolean) => {
    if (flushing) return
    if (!force && seen < batchSize) return
    inSlot().catch((e) => log(`anchoring failed, will retry: ${describeError(e)}`))
  }

  const fiber = Effect.runFork(
    Stream.runForEach(store.subscribe({ fromPosition: next }), (e) =>
      Effect.sync(() => {
        highest = Math.max(highest, e.globalPosition)
        seen++
        schedule(false)
      })
    )
  )
  const timer = setInterval(() => {
    if (Date.now() - lastFlush >= maxWaitMs) schedule(true)
  }, Math.max(20, Math.min(500, maxWaitMs / 4)))

  return {
    anchored,
    /** Anchor everything seen so far now (tests, shutdown). */
    async flushNow() {
      await flushing
      // Do not wait for the subscription to catch up: anchor up to the head now.
      highest = Math.max(highest, await run(store.headPosition))
      // A scheduled flush may have started while the head was read: two
      // flushes of one range race on chain and one is refused (harmless, but
      // it read as a failure in the dev stack's log). Take the same slot.
      while (flushing) await flushing
      await inSlot()
    },
    /** Position of the last anchored event. */
    get anchoredThrough() {
      return next - 1
    },
    async stop() {
      clearInterval(timer)
      await Effect.runPromise(Fiber.interrupt(fiber))
      await flushing
    }
  }
}
