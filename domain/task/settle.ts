import type { NodeId, ResultId } from "../primitives"
import type { DisputedVote, Ruling } from "./events"
import { consensusMetrics } from "./consensus"
import type { ResultState, RoundState } from "./state"
import { committedEndLeaf, contestOf } from "./votes"

/** A node a ruling proved wrong on a result. */
export interface ProvenWrong {
  readonly resultId: ResultId
  readonly nodeId: NodeId
  readonly reason: string
}

export interface Settlement {
  /** Every result with its final outcome (votes a ruling proved wrong are marked disputed). */
  readonly results: ReadonlyMap<ResultId, ResultState>
  /** Results whose outcome the settlement set or changed, with why. */
  readonly changed: ReadonlyArray<{ readonly result: ResultState; readonly reason: string }>
  readonly provenWrong: ReadonlyArray<ProvenWrong>
  readonly disputedVotes: ReadonlyArray<DisputedVote>
  /** A ruling that names no contested result of the round. */
  readonly strayRuling?: ResultId
}

const decided = (r: ResultState, outcome: "verified" | "rejected", penalized: boolean, at: string): ResultState => ({ ...r, outcome, decidedAt: at, penalized })

/**
 * The round's final word on every result, a pure function of the round and
 * the referee's rulings (the coordinator runs it to know what to aggregate;
 * CloseRound runs it to decide):
 * - a contested result is judged by its ruling: a trainer whose committed end
 *   leaf differs from the referee's re-execution forged its run (rejected,
 *   penalized, slashed); a judge whose probe or end leaf differs did not
 *   re-execute, or did it wrong (its vote earns nothing and it is slashed);
 *   the votes left standing decide by majority. Without a ruling it is
 *   rejected without penalty (nobody could tell who was right);
 * - an undecided result is rejected without penalty (not verified in time);
 * - every other outcome stands.
 */
export const settleRound = (round: RoundState, rulings: ReadonlyArray<Ruling>, at: string, penalizeRejected: boolean): Settlement => {
  const byResult = new Map(rulings.map((r) => [r.resultId as string, r]))
  const results = new Map(round.results)
  const changed: Array<{ result: ResultState; reason: string }> = []
  const provenWrong: Array<ProvenWrong> = []
  const disputedVotes: Array<DisputedVote> = []
  for (const r of round.results.values()) {
    const contest = contestOf(r)
    const ruling = byResult.get(r.resultId)
    // A ruling on an uncontested result stays unmatched: the decider refuses it.
    if (contest) byResult.delete(r.resultId)
    if (!contest) {
      if (!r.outcome) {
        const after = decided(r, "rejected", false, at)
        results.set(r.resultId, after)
        changed.push({ result: after, reason: "not verified by the round deadline" })
      }
      continue
    }
    if (!ruling) {
      const after = decided(r, "rejected", false, at)
      results.set(r.resultId, after)
      changed.push({ result: after, reason: `contested (${contest}) and not ruled on` })
      continue
    }
    const wrong = r.votes.filter((v) => v.evidence.probeHash !== ruling.evidence.probeHash || v.evidence.endHash !== ruling.evidence.endHash)
    for (const v of wrong) {
      const reason = `vote on ${r.resultId} does not match the referee's re-execution of segment ${r.audit?.segment}`
      provenWrong.push({ resultId: r.resultId, nodeId: v.nodeId, reason })
      disputedVotes.push({ resultId: r.resultId, nodeId: v.nodeId, reason })
    }
    const votes = r.votes.map((v) => (wrong.includes(v) ? { ...v, disputed: true } : v))
    const trainerForged = ruling.evidence.endHash !== committedEndLeaf(r)
    let after: ResultState
    let reason: string
    if (trainerForged) {
      reason = `segment ${r.audit?.segment} does not reproduce the committed state (referee's ruling)`
      provenWrong.push({ resultId: r.resultId, nodeId: r.nodeId, reason: `forged training: ${reason}` })
      after = { ...decided(r, "rejected", true, at), votes }
    } else {
      const standing = votes.filter((v) => !v.disputed)
      const accepting = standing.filter((v) => v.verdict === "accept")
      const rejecting = standing.length - accepting.length
      if (accepting.length > rejecting) {
        reason = `the referee reproduced segment ${r.audit?.segment}; ${accepting.length} standing vote(s) accept`
        after = {
          ...decided(r, "verified", false, at),
          votes,
          consensusMetrics: consensusMetrics(accepting)
        }
      } else {
        reason = `the referee reproduced segment ${r.audit?.segment}; ${rejecting} standing vote(s) reject`
        after = { ...decided(r, "rejected", penalizeRejected && rejecting > 0, at), votes }
      }
    }
    results.set(r.resultId, after)
    if (after.outcome !== r.outcome || trainerForged) changed.push({ result: after, reason })
  }
  const stray = [...byResult.keys()][0]
  return { results, changed, provenWrong, disputedVotes, ...(stray ? { strayRuling: stray as ResultId } : {}) }
}
