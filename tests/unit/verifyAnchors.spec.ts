import { describe, expect, it } from "vitest"
import type { DomainEvent } from "../../domain/events"
import type { EncodedRecordedEvent } from "../../domain/recordedEvent"
import { rootOfEvents } from "../../chain-bridge/anchor"
import type { OnChainAnchor } from "../../chain-bridge/ChainClient"
import { auditAnchors, type AnchorProblem } from "../../chain-bridge/verifyAnchors"
import { computeEventHash, integrityProblems } from "../../infra/eventStore/hashChain"
import { dataset, escrow, storedLog } from "../support/storedCommits"

/**
 * The anchor audit finds each anchor's events by binary search over the log
 * sorted by position (one pass, whatever the number of anchors). It must
 * answer exactly as the straightforward audit it replaced, kept here as the
 * reference (a scan of the whole log per anchor): intact logs, edited and
 * re-hashed events, foreign positions, missing events, ranges that skip or
 * overlap, an unanchored tail.
 */
const reference = (events: ReadonlyArray<EncodedRecordedEvent>, anchors: ReadonlyArray<OnChainAnchor>, foreignPositions: ReadonlyArray<number> = []) => {
  const problems: Array<AnchorProblem> = integrityProblems(events).map((p) => ({ globalPosition: p.globalPosition, eventId: p.eventId, reason: `${p.kind}: ${p.detail}` }))
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
    const root = rootOfEvents(inRange.map((e) => ({ globalPosition: e.globalPosition, hash: computeEventHash(e) })))
    if (root !== a.root) problems.push({ anchor: a.index, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: `recomputed root ${root} differs from the anchored ${a.root}` })
  }
  const last = events[events.length - 1]?.globalPosition ?? 0
  return { ok: problems.length === 0, anchorsChecked: sorted.length, eventsCovered: covered, unanchoredTail: Math.max(0, last - (expectedFrom - 1)), problems }
}

// 90 commits (one event, or three), positions 1..90.
const commits: Array<ReadonlyArray<DomainEvent>> = []
for (let i = 0; i < 90; i++) commits.push(i % 4 === 3 ? [dataset(3 * i), escrow(3 * i + 1), dataset(3 * i + 2)] : [escrow(3 * i)])
const log: ReadonlyArray<EncodedRecordedEvent> = storedLog(commits).flatMap((c) => c.sealed)
/** Anchors over [from, to] ranges of `events`, roots from their hashes as they are. */
const anchorsOver = (events: ReadonlyArray<EncodedRecordedEvent>, ranges: ReadonlyArray<readonly [number, number]>): Array<OnChainAnchor> =>
  ranges.map(([fromSeq, toSeq], index) => ({
    index,
    fromSeq,
    toSeq,
    root: rootOfEvents(events.filter((e) => e.globalPosition >= fromSeq && e.globalPosition <= toSeq)),
    blockNumber: index + 1,
    txHash: `0x${"ab".repeat(32)}`
  }))
const tiles = (size: number, upTo: number) => Array.from({ length: Math.floor(upTo / size) }, (_, k) => [k * size + 1, (k + 1) * size] as const)

const expectAsReference = (events: ReadonlyArray<EncodedRecordedEvent>, anchors: ReadonlyArray<OnChainAnchor>, foreign: ReadonlyArray<number> = []) => {
  const expected = reference(events, anchors, foreign)
  expect(auditAnchors(events, anchors, foreign)).toEqual(expected)
  return expected
}

describe("auditing the log against its on-chain anchors", () => {
  it("answers as the per-anchor scan for an intact log: many small anchors, one large, an unanchored tail", () => {
    expect(expectAsReference(log, anchorsOver(log, tiles(1, 90)))).toMatchObject({ ok: true, anchorsChecked: 90, eventsCovered: log.length, unanchoredTail: 0 })
    expect(expectAsReference(log, anchorsOver(log, [[1, 84]]))).toMatchObject({ ok: true, unanchoredTail: 6 })
    expect(expectAsReference(log, [...anchorsOver(log, tiles(7, 84))].reverse())).toMatchObject({ ok: true, anchorsChecked: 12 })
  })

  it("names an edited event and fails its anchor's root, re-hashed or not", () => {
    const anchors = anchorsOver(log, tiles(5, 90))
    const target = log.findIndex((e) => e.globalPosition === 32 && e.indexInCommit === 1)
    const edited = log.map((e, i) => (i === target ? { ...e, data: { ...e.data, amount: "1" } as never } : e))
    expect(expectAsReference(edited, anchors).problems.map((p) => p.eventId ?? p.anchor)).toEqual([log[target]!.id, 6])
    const rehashed = edited.map((e, i) => (i === target ? { ...e, hash: computeEventHash(e) } : e))
    expect(expectAsReference(rehashed, anchors).ok).toBe(false)
  })

  it("counts foreign positions into their ranges, and a missing event against its range", () => {
    // Positions 10 and 11 hold foreign messages instead of commits (the chain then breaks at 12: a link problem).
    const withForeign = log.filter((e) => e.globalPosition !== 10 && e.globalPosition !== 11)
    const anchors = anchorsOver(log, tiles(6, 90))
    const answer = expectAsReference(withForeign, anchors, [10, 11])
    expect(answer.problems.some((p) => p.anchor !== undefined && /anchored positions/.test(p.reason))).toBe(false)
    expect(expectAsReference(withForeign, anchors).problems.filter((p) => /anchored positions/.test(p.reason))).toHaveLength(1)
  })

  it("reports ranges that skip or overlap as the per-anchor scan does", () => {
    expectAsReference(log, anchorsOver(log, [[1, 10], [12, 20], [18, 30], [31, 31]]))
    expectAsReference(log, anchorsOver(log, [[2, 10], [11, 95]]))
  })

  it("still fails a copy whose events were moved out of order", () => {
    const moved = [...log]
    ;[moved[20], moved[40]] = [moved[40]!, moved[20]!]
    expect(auditAnchors(moved, anchorsOver(log, tiles(10, 90))).ok).toBe(false)
  })
})
