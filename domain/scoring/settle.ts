import type { Metrics, NodeId } from "../primitives"
import type { ScoringEvent } from "./events"
import type { Reveal, ScoringState } from "./state"

/**
 * Agreement on a metric: judges on one runtime build compute the same
 * numbers bit for bit, so the tolerance only absorbs other builds' last
 * digits. It is the protocol's, not the requester's: a loose one would let
 * inflated reports count as agreeing.
 */
export const SCORING_TOLERANCE = 1e-4

/** The lower median: always a value some judge reported. */
const lowerMedian = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!

type Judging = Exclude<ScoringState, { status: "none" }>

/**
 * Settle a scoring from its reveals (pure): the median of the scoring metric
 * over every reveal; those within the tolerance of it agree; a strict
 * majority of the drawn judges must agree. The version's metrics are the
 * agreeing judges' median of each metric all of them report. The fee is
 * split equally over the drawn judges and paid to the agreeing ones; what is
 * not paid goes back to the requester (so fee = paid + refunded, always).
 */
export const settleScoring = (s: Judging, at: string): Array<ScoringEvent> => {
  const { request } = s
  const judges = s.draw?.judges ?? []
  const revealed = new Set(s.reveals.map((r) => r.nodeId))
  const silent = judges.filter((j) => !revealed.has(j))
  const valueOf = (r: Reveal) => r.metrics[request.metric]
  const withMetric = s.reveals.filter((r) => valueOf(r) !== undefined)
  const median = withMetric.length > 0 ? lowerMedian(withMetric.map((r) => valueOf(r)!)) : undefined
  const agreeing = median === undefined ? [] : withMetric.filter((r) => Math.abs(valueOf(r)! - median) <= SCORING_TOLERANCE)
  const disagreeing = s.reveals.filter((r) => !agreeing.includes(r)).map((r) => r.nodeId)
  const quorum = Math.floor(judges.length / 2) + 1
  if (agreeing.length < quorum) {
    return failScoring(request, `${agreeing.length} of ${judges.length} judges agree on ${request.metric} (${quorum} needed; ${s.reveals.length} revealed)`, { disagreeing, silent }, at)
  }
  const names = Object.keys(agreeing[0]!.metrics).filter((k) => agreeing.every((r) => r.metrics[k] !== undefined))
  const metrics: Metrics = Object.fromEntries(names.sort().map((k) => [k, lowerMedian(agreeing.map((r) => r.metrics[k]!))]))
  const share = request.fee / BigInt(judges.length)
  const paid: Array<ScoringEvent> =
    share > 0n ? agreeing.map((r) => ({ _tag: "ScoringFeePaid" as const, scoringId: request.scoringId, nodeId: r.nodeId, recipient: r.judge, amount: share, paidAt: at })) : []
  return [
    { _tag: "ModelVersionScored", scoringId: request.scoringId, modelId: request.modelId, version: request.version, validation: request.validation, metrics, agreeing: agreeing.map((r) => r.nodeId as NodeId), disagreeing, silent, scoredAt: at },
    ...paid,
    ...refund(request, request.fee - share * BigInt(paid.length), at)
  ]
}

type Requested = Judging["request"]

const refund = (request: Requested, amount: bigint, at: string): Array<ScoringEvent> =>
  amount > 0n ? [{ _tag: "ScoringFeeRefunded", scoringId: request.scoringId, owner: request.requestedBy, amount, refundedAt: at }] : []

/** Nothing is scored: the failure, who disagreed or stayed silent, and the whole fee back to the requester. */
export const failScoring = (request: Requested, reason: string, marks: { readonly disagreeing: ReadonlyArray<NodeId>; readonly silent: ReadonlyArray<NodeId> }, at: string): Array<ScoringEvent> => [
  { _tag: "ScoringFailed", scoringId: request.scoringId, modelId: request.modelId, version: request.version, reason, ...marks, failedAt: at },
  ...refund(request, request.fee, at)
]
