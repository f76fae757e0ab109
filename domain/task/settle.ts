import type { NodeId, ResultId } from "../primitives"
import type { DisputedVote, Ruling, StepRuling } from "./events"
import { provenWrongBySteps, settledByStepRulings, stepsToRule, UNOPENED } from "./bisection"
import { consensusMetrics } from "./consensus"
import type { ResultState, RoundState, Vote } from "./state"
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

/** What a contested result's referee found: the votes it proved wrong (with why) and, if the trainer forged, why. */
interface Finding {
  readonly wrong: ReadonlyArray<{ readonly vote: Vote; readonly reason: string }>
  readonly forged?: string
  /** Who reproduced what, for the reasons. */
  readonly replayed: string
}

/** A segment ruling: whoever disagrees with the referee's probe or end leaf is wrong. */
const bySegment = (r: ResultState, ruling: Ruling): Finding => {
  const replayed = `the referee reproduced segment ${r.audit?.segment}`
  const wrong = r.votes
    .filter((v) => v.evidence.probeHash !== ruling.evidence.probeHash || v.evidence.endHash !== ruling.evidence.endHash)
    .map((vote) => ({ vote, reason: `vote on ${r.resultId} does not match the referee's re-execution of segment ${r.audit?.segment}` }))
  const forged = ruling.evidence.endHash !== committedEndLeaf(r) ? `segment ${r.audit?.segment} does not reproduce the committed state (referee's ruling)` : undefined
  return { wrong, replayed, ...(forged ? { forged } : {}) }
}

/** A jury's step rulings on a bisected result (bisection.ts, jury.ts). */
const bySteps = (r: ResultState, rulings: ReadonlyArray<StepRuling>): Finding => {
  const { trainerBrokenAt: broken, wrongVotes } = provenWrongBySteps(r, rulings)
  const steps = rulings.filter((x) => x.resultId === r.resultId).map((x) => x.step)
  const replayed = `the jury reproduced step${steps.length > 1 ? "s" : ""} ${steps.join(", ")}`
  const wrong = wrongVotes.map((w) => ({ vote: w.vote, reason: `vote on ${r.resultId}: ${w.reason}` }))
  if (!broken) return { wrong, replayed }
  const forged =
    broken.leaf === UNOPENED
      ? `the trainer's answer names a state before step ${broken.step} that cannot be fetched`
      : `step ${broken.step} does not follow from the state before it (the jury's replay of that one step)`
  return { wrong, replayed, forged }
}

/**
 * The round's final word on every result, a pure function of the round and
 * the referee's rulings (the coordinator runs it to know what to aggregate;
 * CloseRound runs it to decide):
 * - a contested result is judged by its rulings: its jury's step rulings
 *   when it was bisected (bisection.ts, jury.ts), else the referee's ruling
 *   on its whole audited segment. A
 *   trainer the referee proves wrong forged its run (rejected, penalized,
 *   slashed); a judge it proves wrong did not re-execute, or did it wrongly
 *   (its vote earns nothing and it is slashed); the votes left standing
 *   decide by majority. Without rulings it is rejected without penalty
 *   (nobody could tell who was right);
 * - an undecided result is rejected without penalty (not verified in time);
 * - every other outcome stands.
 */
export const settleRound = (
  round: RoundState,
  rulings: ReadonlyArray<Ruling>,
  at: string,
  penalizeRejected: boolean,
  stepRulings: ReadonlyArray<StepRuling> = []
): Settlement => {
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
    // A dispute that can be bisected is the jury's: a segment ruling on it is refused.
    const bisectable = stepsToRule(r) !== undefined
    if (ruling && bisectable) byResult.set(r.resultId, ruling)
    const finding = ruling && !bisectable ? bySegment(r, ruling) : settledByStepRulings(r, stepRulings) ? bySteps(r, stepRulings) : undefined
    if (!finding) {
      const after = decided(r, "rejected", false, at)
      results.set(r.resultId, after)
      changed.push({ result: after, reason: `contested (${contest}) and not ruled on` })
      continue
    }
    for (const w of finding.wrong) {
      provenWrong.push({ resultId: r.resultId, nodeId: w.vote.nodeId, reason: w.reason })
      disputedVotes.push({ resultId: r.resultId, nodeId: w.vote.nodeId, reason: w.reason })
    }
    const votes = r.votes.map((v) => (finding.wrong.some((w) => w.vote === v) ? { ...v, disputed: true } : v))
    let after: ResultState
    let reason: string
    if (finding.forged) {
      reason = finding.forged
      provenWrong.push({ resultId: r.resultId, nodeId: r.nodeId, reason: `forged training: ${reason}` })
      after = { ...decided(r, "rejected", true, at), votes }
    } else {
      const standing = votes.filter((v) => !v.disputed)
      const accepting = standing.filter((v) => v.verdict === "accept")
      const rejecting = standing.length - accepting.length
      if (accepting.length > rejecting) {
        reason = `${finding.replayed}; ${accepting.length} standing vote(s) accept`
        after = { ...decided(r, "verified", false, at), votes, consensusMetrics: consensusMetrics(accepting) }
      } else {
        reason = `${finding.replayed}; ${rejecting} standing vote(s) reject`
        after = { ...decided(r, "rejected", penalizeRejected && rejecting > 0, at), votes }
      }
    }
    results.set(r.resultId, after)
    if (after.outcome !== r.outcome || finding.forged) changed.push({ result: after, reason })
  }
  const stray = [...byResult.keys()][0]
  return { results, changed, provenWrong, disputedVotes, ...(stray ? { strayRuling: stray as ResultId } : {}) }
}
