import type { EncodedRecordedEvent } from "../domain/recordedEvent"
import { computeEventHash, integrityProblems } from "../infra/eventStore/hashChain"
import { rootOfEvents } from "./anchor"
import type { OnChainAnchor } from "./ChainClient"

export interface AnchorProblem {
  readonly anchor?: number
  readonly fromSeq?: number
  readonly toSeq?: number
  readonly globalPosition?: number
  readonly eventId?: string
  readonly reason: string
}

export interface AnchorAudit {
  readonly ok: boolean
  readonly anchorsChecked: number
  readonly eventsCovered: number
  readonly unanchoredTail: number
  readonly problems: ReadonlyArray<AnchorProblem>
}

/**
 * Compare a replay of the log (events as stored: encoded) with what the chain
 * holds. For every on-chain anchor the root is recomputed from the log's
 * events in its range; the ranges must tile the log from position 1; and each
 * event's own hash and link are re-checked, so a mismatching root can be
 * traced to the event that was changed.
 */
export const auditAnchors = (
  events: ReadonlyArray<EncodedRecordedEvent>,
  anchors: ReadonlyArray<OnChainAnchor>,
  /** Positions of foreign messages: part of an anchored range, but no leaf of it (see bridge.ts). */
  foreignPositions: ReadonlyArray<number> = []
): AnchorAudit => {
  // Each event's hash recomputed from its content once: for its own check and for its batch's root.
  const recomputed = events.map((e) => computeEventHash(e))
  // Per-event integrity first (content, links, order), so a mismatching
  // root can be traced to the event that was changed.
  const problems: Array<AnchorProblem> = integrityProblems(events, (i) => recomputed[i] === events[i]!.hash).map((p) => ({
    globalPosition: p.globalPosition,
    eventId: p.eventId,
    reason: `${p.kind}: ${p.detail}`
  }))
  // The events by position (a stable sort: a log in order stays as it is) and the foreign
  // positions sorted: each anchor's range is found by two binary searches, not a scan of the
  // whole log per anchor (a long log has thousands of anchors).
  const byPosition = events.map((_, i) => i).sort((a, b) => events[a]!.globalPosition - events[b]!.globalPosition || a - b)
  const positions = byPosition.map((i) => events[i]!.globalPosition)
  const foreign = [...foreignPositions].sort((a, b) => a - b)
  const sorted = [...anchors].sort((a, b) => a.index - b.index)
  let expectedFrom = 1
  let covered = 0
  for (const a of sorted) {
    if (a.fromSeq !== expectedFrom) problems.push({ anchor: a.index, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: `range does not start at ${expectedFrom}` })
    expectedFrom = a.toSeq + 1
    const from = firstAtLeast(positions, a.fromSeq)
    const to = firstAtLeast(positions, a.toSeq + 1)
    const held = distinctInRange(positions, from, to, foreign, firstAtLeast(foreign, a.fromSeq), firstAtLeast(foreign, a.toSeq + 1))
    if (held !== a.toSeq - a.fromSeq + 1) {
      problems.push({ anchor: a.index, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: `log has ${held} of ${a.toSeq - a.fromSeq + 1} anchored positions` })
      continue
    }
    covered += to - from
    // Leaves from hashes recomputed from content, not the stored ones: an edit
    // shows up in the root whether or not the editor also rewrote `hash`.
    const root = rootOfEvents(byPosition.slice(from, to).map((i) => ({ globalPosition: events[i]!.globalPosition, hash: recomputed[i]! })))
    if (root !== a.root) {
      problems.push({ anchor: a.index, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: `recomputed root ${root} differs from the anchored ${a.root}` })
    }
  }
  const last = events[events.length - 1]?.globalPosition ?? 0
  return {
    ok: problems.length === 0,
    anchorsChecked: sorted.length,
    eventsCovered: covered,
    unanchoredTail: Math.max(0, last - (expectedFrom - 1)),
    problems
  }
}

/** The first index of ascending `sorted` whose value is at least `value` (its length when none is). */
const firstAtLeast = (sorted: ReadonlyArray<number>, value: number): number => {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** How many distinct values `a[aFrom..aTo)` and `b[bFrom..bTo)` hold together (both ascending). */
const distinctInRange = (a: ReadonlyArray<number>, aFrom: number, aTo: number, b: ReadonlyArray<number>, bFrom: number, bTo: number): number => {
  let count = 0
  let last: number | undefined
  let i = aFrom
  let j = bFrom
  while (i < aTo || j < bTo) {
    const next = j >= bTo || (i < aTo && a[i]! <= b[j]!) ? a[i++]! : b[j++]!
    if (next !== last) count++
    last = next
  }
  return count
}
