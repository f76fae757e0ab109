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
  // Per-event integrity first (content, links, order), so a mismatching
  // root can be traced to the event that was changed.
  const problems: Array<AnchorProblem> = integrityProblems(events).map((p) => ({
    globalPosition: p.globalPosition,
    eventId: p.eventId,
    reason: `${p.kind}: ${p.detail}`
  }))
  const sorted = [...anchors].sort((a, b) => a.index - b.index)
  let expectedFrom = 1
  let covered = 0
  for (const a of sorted) {
    if (a.fromSeq !== expectedFrom) problems.push({ anchor: a.index, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: `range does not start at ${expectedFrom}` })
    expectedFrom = a.toSeq + 1
    const inRange = events.filter((e) => e.globalPosition >= a.fromSeq && e.globalPosition <= a.toSeq)
    const positions = new Set([...inRange.map((e) => e.globalPosition), ...foreignPositions.filter((p) => p >= a.fromSeq && p <= a.toSeq)])
    if (positions.size !== a.toSeq - a.fromSeq + 1) {
      problems.push({ anchor: a.index, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: `log has ${positions.size} of ${a.toSeq - a.fromSeq + 1} anchored positions` })
      continue
    }
    covered += inRange.length
    // Leaves from hashes recomputed from content, not the stored ones: an edit
    // shows up in the root whether or not the editor also rewrote `hash`.
    const root = rootOfEvents(inRange.map((e) => ({ globalPosition: e.globalPosition, hash: computeEventHash(e) })))
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
