import { Schema } from "effect"
import type { Hash32 } from "../../domain/primitives"
import {
  type EncodedRecordedEvent,
  EventMetadata,
  GENESIS_HASH,
  RecordedEvent
} from "../../domain/recordedEvent"
import { canonicalJson } from "../canonicalJson"
import { keccak256Hex } from "../keccak"
import { storedBytesHashTo, storedHashInput, type StoredHashInput } from "./storedText"

/** Where the chain stands after the last commit: position 0 is the empty log. */
export interface ChainTip {
  readonly globalPosition: number
  readonly hash: Hash32
}
export const EMPTY_TIP: ChainTip = { globalPosition: 0, hash: GENESIS_HASH }

const keccakHex = (text: string): string => keccak256Hex(text).slice(2)

/** keccak256 of the canonical JSON of the encoded envelope without its `hash`. */
export const computeEventHash = (envelope: Omit<EncodedRecordedEvent, "hash">): Hash32 => {
  const { hash: _ignored, ...rest } = envelope as EncodedRecordedEvent
  return `0x${keccakHex(canonicalJson(rest))}` as Hash32
}

/**
 * Event ids are derived, not random: a retried command produces the same ids,
 * which keeps appends idempotent in stores that dedupe by event id (EventStoreDB)
 * as well as those that dedupe by message id (JetStream). UUID-shaped (v8).
 */
export const deriveEventId = (commandId: string, index: number): string => {
  const h = keccakHex(`${commandId}#${index}`)
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export interface CommitToSeal {
  readonly tip: ChainTip
  readonly stream: string
  /** Stream position the first event gets (the stream's current length). */
  readonly firstStreamPosition: number
  /** Domain events already encoded with the catalogue schema. */
  readonly events: ReadonlyArray<{ readonly _tag: string }>
  readonly metadata: typeof EventMetadata.Encoded
  readonly recordedAt: string
  /**
   * The canonical JSON of each event and of the metadata, when the caller
   * has it already (prepareAppend writes it to measure the commit): then
   * nothing is serialised twice.
   */
  readonly canonical?: { readonly events: ReadonlyArray<string>; readonly metadata: string }
}

export interface SealedCommit {
  readonly events: Array<EncodedRecordedEvent>
  readonly tip: ChainTip
  /** The commit as stored (`{"events":[…]}`), each envelope in its canonical form, hash included. */
  readonly json: string
}

/**
 * Seal one commit onto the chain: assign positions, link each event to the
 * previous hash and hash it. Pure; every adapter seals the same way, so a log
 * moved between stores verifies identically.
 *
 * The canonical JSON that is hashed is written once, from its parts, and the
 * stored text is the same string with the hash put in its place: writing
 * the envelope for the hash, again for the message and measuring it before
 * was a third of an append's time on the client. `computeEventHash` stays
 * the definition (audits and replays use it); the specs check both agree.
 */
export const sealCommit = (commit: CommitToSeal): SealedCommit => {
  const globalPosition = commit.tip.globalPosition + 1
  const commitSize = commit.events.length
  const metadataJson = commit.canonical?.metadata ?? canonicalJson(commit.metadata)
  const recordedAt = JSON.stringify(commit.recordedAt)
  const stream = JSON.stringify(commit.stream)
  let prevHash = commit.tip.hash as string
  let json = '{"events":['
  const events = commit.events.map((data, indexInCommit) => {
    const id = deriveEventId(commit.metadata.commandId, indexInCommit)
    const streamPosition = commit.firstStreamPosition + indexInCommit
    // Keys in canonical (sorted) order; `hash` sorts between globalPosition and id.
    const beforeHash = `{"commitSize":${commitSize},"data":${commit.canonical?.events[indexInCommit] ?? canonicalJson(data)},"globalPosition":${globalPosition}`
    const afterHash = `"id":"${id}","indexInCommit":${indexInCommit},"metadata":${metadataJson},"prevHash":"${prevHash}","recordedAt":${recordedAt},"stream":${stream},"streamPosition":${streamPosition},"type":${JSON.stringify(data._tag)}}`
    const hash = `0x${keccakHex(`${beforeHash},${afterHash}`)}` as Hash32
    json += `${indexInCommit === 0 ? "" : ","}${beforeHash},"hash":"${hash}",${afterHash}`
    const event: EncodedRecordedEvent = {
      id,
      type: data._tag,
      stream: commit.stream,
      streamPosition,
      globalPosition,
      indexInCommit,
      commitSize,
      recordedAt: commit.recordedAt,
      data: data as EncodedRecordedEvent["data"],
      metadata: commit.metadata,
      prevHash: prevHash as Hash32,
      hash
    }
    prevHash = hash
    return event
  })
  return { events, tip: { globalPosition, hash: prevHash as Hash32 }, json: `${json}]}` }
}

export interface ChainBreak {
  readonly globalPosition: number
  readonly indexInCommit: number
  readonly eventId: string
  readonly reason: string
}

export type ChainVerification =
  | { readonly ok: true; readonly verified: number; readonly tip: ChainTip }
  | { readonly ok: false; readonly verified: number; readonly break: ChainBreak }

const encodeRecorded = Schema.encodeSync(RecordedEvent)

/** A decoded event's hash by the definition: encoded again and hashed (`computeEventHash`). */
export const recordedEventHash = (event: RecordedEvent): string => computeEventHash(encodeRecorded(event))

/** The break of an event whose content does not hash to its stored hash. */
export const hashMismatch = (e: Pick<EncodedRecordedEvent, "globalPosition" | "indexInCommit" | "id" | "hash">, recomputed: string): ChainBreak => ({
  globalPosition: e.globalPosition,
  indexInCommit: e.indexInCommit,
  eventId: e.id,
  reason: `hash mismatch: stored ${e.hash}, recomputed ${recomputed}`
})

/**
 * An event's hash for a verifier: its claim when its stored bytes hash to
 * it, else by the definition, which has the last word (a text rewritten
 * without changing the canonical form still verifies).
 */
const hashAsStored = (event: RecordedEvent, stored: StoredHashInput | undefined): string =>
  storedBytesHashTo(stored, event.hash) ? event.hash : recordedEventHash(event)

/** What the chain's order and links are checked on: an event's place and hashes. */
export type LinkedEvent = Pick<EncodedRecordedEvent, "globalPosition" | "indexInCommit" | "id" | "prevHash" | "hash">

/**
 * Incremental verifier for replays: feed events in global order; it answers
 * the first break (a recomputed hash that differs, a link to the wrong
 * previous hash, or a gap/reordering in positions). `nextIndex`: the index
 * in the tip's commit that would continue it (a verifier taking over where
 * another stopped; 0 for a tip that ends its commit or is the empty log).
 */
export const chainVerifier = (from: ChainTip = EMPTY_TIP, nextIndex = 0) => {
  let tip = from
  let expectedIndex = nextIndex
  let verified = 0
  const check = (e: LinkedEvent, recompute: () => string): ChainBreak | undefined => {
    const at = { globalPosition: e.globalPosition, indexInCommit: e.indexInCommit, eventId: e.id }
    const sameCommit = e.globalPosition === tip.globalPosition && e.indexInCommit === expectedIndex
    // A later commit may skip positions: foreign messages (never part of the
    // chain) take sequences too. Nothing sealed can go missing unnoticed:
    // the next commit's prevHash still names the event before it.
    const nextCommit = e.globalPosition > tip.globalPosition && e.indexInCommit === 0
    if (!sameCommit && !nextCommit) {
      return { ...at, reason: `out of order: expected position ${tip.globalPosition}#${expectedIndex} or a later commit's #0` }
    }
    if (e.prevHash !== tip.hash) return { ...at, reason: `prevHash ${e.prevHash} does not link to ${tip.hash}` }
    const recomputed = recompute()
    if (recomputed !== e.hash) return hashMismatch(e, recomputed)
    tip = { globalPosition: e.globalPosition, hash: e.hash as Hash32 }
    expectedIndex = e.indexInCommit + 1
    verified++
    return undefined
  }
  return {
    /**
     * A decoded event (as the store's read API returns it). One read from the
     * store is hashed as stored (storedText.ts) when those bytes still hash to
     * its hash; anything else is encoded and hashed by the definition, which
     * has the last word (a text rewritten without changing the canonical form
     * still verifies, as it did).
     */
    push(event: RecordedEvent): ChainBreak | undefined {
      return check(event, () => hashAsStored(event, storedHashInput(event)))
    },
    /**
     * A decoded event with the stored bytes its hash covers given here
     * (storedText.ts `storedSpans`), not looked up beside it: as `push`.
     */
    pushStored(event: RecordedEvent, stored: StoredHashInput | undefined): ChainBreak | undefined {
      return check(event, () => hashAsStored(event, stored))
    },
    /**
     * Order and link only, the event's claimed hash taken for its content's:
     * for a verifier that checks the hashes elsewhere (parallelVerifier.ts).
     */
    pushClaimed(event: LinkedEvent): ChainBreak | undefined {
      return check(event, () => event.hash)
    },
    /** An event exactly as stored (raw JSON), for audits of a log copy. */
    pushEncoded(encoded: EncodedRecordedEvent): ChainBreak | undefined {
      return check(encoded, () => computeEventHash(encoded))
    },
    get tip() {
      return tip
    },
    /** The index in the tip's commit an event continuing it would have. */
    get nextIndex() {
      return expectedIndex
    },
    get verified() {
      return verified
    }
  }
}

/** Verify a whole replay at once. */
export const verifyChain = (
  events: Iterable<RecordedEvent>,
  from: ChainTip = EMPTY_TIP
): ChainVerification => {
  const verifier = chainVerifier(from)
  for (const event of events) {
    const broken = verifier.push(event)
    if (broken) return { ok: false, verified: verifier.verified, break: broken }
  }
  return { ok: true, verified: verifier.verified, tip: verifier.tip }
}

export interface IntegrityProblem {
  readonly kind: "edited" | "link" | "order"
  readonly globalPosition: number
  readonly indexInCommit: number
  readonly eventId: string
  readonly detail: string
}

/**
 * Every problem in a log as stored (encoded events, global order): content
 * that does not re-hash to its stored hash, a `prevHash` that does not link
 * to the event before, a position out of order. Checked pairwise, so one
 * edited event is reported once and the scan goes on past it (unlike
 * `verifyChain`, which stops at the first break). The audits use it.
 */
export const integrityProblems = (
  events: Iterable<EncodedRecordedEvent>,
  /** Events (by index) already found to hash to their stored hash (from their stored bytes, on another thread): not hashed again. */
  hashConfirmed: (index: number) => boolean = () => false
): Array<IntegrityProblem> => {
  const problems: Array<IntegrityProblem> = []
  let previous: EncodedRecordedEvent | undefined
  let index = 0
  for (const e of events) {
    const at = { globalPosition: e.globalPosition, indexInCommit: e.indexInCommit, eventId: e.id }
    if (!hashConfirmed(index++) && computeEventHash(e) !== e.hash) problems.push({ kind: "edited", ...at, detail: "content does not re-hash to the stored hash" })
    const expectedPrev = previous?.hash ?? GENESIS_HASH
    if (e.prevHash !== expectedPrev) problems.push({ kind: "link", ...at, detail: `prevHash does not link to ${expectedPrev}` })
    // Commits may skip positions held by foreign messages (see chainVerifier).
    const inOrder = previous
      ? (e.globalPosition === previous.globalPosition && e.indexInCommit === previous.indexInCommit + 1) ||
        (e.globalPosition > previous.globalPosition && e.indexInCommit === 0)
      : e.indexInCommit === 0
    if (!inOrder) problems.push({ kind: "order", ...at, detail: "position out of order or missing" })
    previous = e
  }
  return problems
}
