import { NotDeposited } from "../escrow/errors"
import { Result } from "effect"
import { addSeconds, type Address, type NodeId } from "../primitives"
import { drawValidators } from "../task/draw"
import type { CloseScoring, CommitScore, DrawScoringJudges, RequestScoring, RevealScore, ScoringCommand } from "./commands"
import { scoreCommitment } from "./commitment"
import {
  JudgesAlreadyDrawn,
  JudgesNotDrawn,
  NotDrawnJudge,
  NotJudgeKey,
  ScoreAlreadyCommitted,
  ScoreAlreadyRevealed,
  ScoreCommitClosed,
  ScoreCommitmentMismatch,
  ScoreNotCommitted,
  ScoreRevealNotOpen,
  ScoringAlreadyRequested,
  ScoringNotFound,
  ScoringRequestInvalid,
  ScoringSettled,
  ScoringStillOpen,
  type ScoringError
} from "./errors"
import type { ScoringEvent } from "./events"
import { failScoring, SCORING_TOLERANCE, settleScoring } from "./settle"
import type { ScoringState } from "./state"

type Decision = Result.Result<ReadonlyArray<ScoringEvent>, ScoringError>
type Judging = Exclude<ScoringState, { status: "none" }>
const DEFAULT_JUDGES = 3

const requestScoring = (c: RequestScoring, state: ScoringState): Decision => {
  if (state.status !== "none") return Result.fail(new ScoringAlreadyRequested({ scoringId: c.scoringId }))
  const f = c.facts
  const invalid = (reason: string) => Result.fail(new ScoringRequestInvalid({ reason }))
  if (f.artefact._tag === "Unscoreable") return invalid(f.artefact.reason)
  if (f.modelStatus === "delisted") return invalid(`${c.modelId} is delisted`)
  if (f.dataset.split !== "validation") return invalid(`dataset ${c.datasetId} is a ${f.dataset.split} set; score on a validation set`)
  if (f.dataset.format !== f.workloadFormat) return invalid(`dataset ${c.datasetId} holds ${f.dataset.format}, workload ${f.workload} reads ${f.workloadFormat}`)
  const fee = c.fee ?? 0n
  if (c.deposited !== undefined && fee > 0n && c.deposited < fee) {
    return Result.fail(new NotDeposited({ account: `scoring:${c.scoringId}`, needed: String(fee), deposited: String(c.deposited) }))
  }
  const metric = c.metric ?? f.primaryMetric
  if (!f.workloadMetrics.includes(metric)) return invalid(`workload ${f.workload} does not measure ${metric} (it measures ${f.workloadMetrics.join(", ")})`)
  return Result.succeed([
    {
      _tag: "ScoringRequested",
      scoringId: c.scoringId,
      modelId: c.modelId,
      version: c.version,
      owner: f.owner,
      workload: f.workload,
      metric,
      artefact: f.artefact,
      validation: { datasetId: c.datasetId, contentHash: f.dataset.contentHash },
      judges: c.judges ?? DEFAULT_JUDGES,
      tolerance: SCORING_TOLERANCE,
      fee: c.fee ?? 0n,
      requestedBy: c.actor,
      requestedAt: c.at
    }
  ])
}

const judging = (scoringId: string, state: ScoringState): Result.Result<Judging, ScoringError> =>
  state.status === "none" ? Result.fail(new ScoringNotFound({ scoringId })) : Result.succeed(state)
const open = (scoringId: string, state: ScoringState): Result.Result<Judging, ScoringError> =>
  Result.flatMap(judging(scoringId, state), (s) => (s.status === "scored" || s.status === "failed" ? Result.fail(new ScoringSettled({ scoringId })) : Result.succeed(s)))

/**
 * The judges: drawn by stake (domain/task/draw.ts) from the hash of the log
 * entry that recorded the request, never the model's owner or the requester.
 * Too few staked validators fails the scoring (and refunds the fee) rather
 * than leaving it waiting for ever.
 */
const drawJudges = (c: DrawScoringJudges, state: ScoringState): Decision =>
  Result.flatMap(open(c.scoringId, state), (s): Decision => {
    if (s.draw) return Result.fail(new JudgesAlreadyDrawn({ scoringId: c.scoringId }))
    const excluded = new Set<Address>([s.request.owner, s.request.requestedBy])
    const eligible = c.candidates.filter((x) => !excluded.has(x.address))
    const judges = drawValidators(c.requestCommitHash, { nodeId: "" as NodeId, address: s.request.requestedBy }, eligible, s.request.judges)
    const commitBy = addSeconds(c.at, c.commitSeconds)
    const drawn: ScoringEvent = {
      _tag: "ScoringJudgesDrawn",
      scoringId: c.scoringId,
      seed: c.requestCommitHash,
      candidates: c.candidates,
      judges,
      commitBy,
      revealBy: addSeconds(commitBy, c.commitSeconds),
      drawnAt: c.at
    }
    if (judges.length < s.request.judges) {
      return Result.succeed([drawn, ...failScoring(s.request, `only ${judges.length} staked validators can judge it, ${s.request.judges} asked`, { disagreeing: [], silent: [] }, c.at)])
    }
    return Result.succeed([drawn])
  })

const judgeOf = (c: CommitScore | RevealScore, state: ScoringState) =>
  Result.flatMap(open(c.scoringId, state), (s): Result.Result<Judging & { readonly draw: NonNullable<Judging["draw"]> }, ScoringError> => {
    if (!s.draw) return Result.fail(new JudgesNotDrawn({ scoringId: c.scoringId }))
    if (!s.draw.judges.includes(c.nodeId)) return Result.fail(new NotDrawnJudge({ scoringId: c.scoringId, nodeId: c.nodeId }))
    const judge = s.draw.candidates.find((x) => x.nodeId === c.nodeId)!
    if (judge.address !== c.actor) return Result.fail(new NotJudgeKey({ nodeId: c.nodeId, actor: c.actor }))
    return Result.succeed({ ...s, draw: s.draw })
  })

const revealsOpen = (s: Judging & { readonly draw: NonNullable<Judging["draw"]> }, at: string) =>
  s.draw.judges.every((j) => s.commitments.has(j)) || Date.parse(at) >= Date.parse(s.draw.commitBy)

const commitScore = (c: CommitScore, state: ScoringState): Decision =>
  Result.flatMap(judgeOf(c, state), (s): Decision => {
    if (s.commitments.has(c.nodeId)) return Result.fail(new ScoreAlreadyCommitted({ scoringId: c.scoringId, nodeId: c.nodeId }))
    // Once reveals may be open a commitment could copy them: too late.
    if (s.reveals.length > 0 || revealsOpen(s, c.at)) return Result.fail(new ScoreCommitClosed({ scoringId: c.scoringId, nodeId: c.nodeId }))
    return Result.succeed([{ _tag: "ScoreCommitted", scoringId: c.scoringId, nodeId: c.nodeId, commitment: c.commitment, committedAt: c.at }])
  })

/** The reveal that leaves no committed judge unrevealed (and no judge able to commit) settles the scoring. */
const revealScore = (c: RevealScore, state: ScoringState): Decision =>
  Result.flatMap(judgeOf(c, state), (s): Decision => {
    const commitment = s.commitments.get(c.nodeId)
    if (!commitment) return Result.fail(new ScoreNotCommitted({ scoringId: c.scoringId, nodeId: c.nodeId }))
    if (s.reveals.some((r) => r.nodeId === c.nodeId)) return Result.fail(new ScoreAlreadyRevealed({ scoringId: c.scoringId, nodeId: c.nodeId }))
    if (!revealsOpen(s, c.at)) return Result.fail(new ScoreRevealNotOpen({ scoringId: c.scoringId, opensAt: s.draw.commitBy }))
    if (scoreCommitment(c) !== commitment) return Result.fail(new ScoreCommitmentMismatch({ scoringId: c.scoringId, nodeId: c.nodeId }))
    const judge = s.draw.candidates.find((x) => x.nodeId === c.nodeId)!.address
    const revealed: ScoringEvent = { _tag: "ScoreRevealed", scoringId: c.scoringId, nodeId: c.nodeId, judge, metrics: c.metrics, salt: c.salt, revealedAt: c.at }
    const next = { ...s, reveals: [...s.reveals, { nodeId: c.nodeId, judge, metrics: c.metrics }] }
    // Every drawn judge revealed (a reveal needs a commitment): nothing left to wait for.
    return Result.succeed(next.reveals.length === s.draw.judges.length ? [revealed, ...settleScoring(next, c.at)] : [revealed])
  })

/** After the reveal window anyone may close a scoring that silent judges hold open. */
const closeScoring = (c: CloseScoring, state: ScoringState): Decision =>
  Result.flatMap(open(c.scoringId, state), (s): Decision => {
    if (!s.draw) return Result.fail(new JudgesNotDrawn({ scoringId: c.scoringId }))
    if (Date.parse(c.at) < Date.parse(s.draw.revealBy)) return Result.fail(new ScoringStillOpen({ scoringId: c.scoringId, closesAt: s.draw.revealBy }))
    return Result.succeed(settleScoring(s, c.at))
  })

export const decideScoring = (command: ScoringCommand, state: ScoringState): Decision => {
  switch (command._tag) {
    case "RequestScoring":
      return requestScoring(command, state)
    case "DrawScoringJudges":
      return drawJudges(command, state)
    case "CommitScore":
      return commitScore(command, state)
    case "RevealScore":
      return revealScore(command, state)
    case "CloseScoring":
      return closeScoring(command, state)
  }
}
