import { Effect } from "effect"
import { scoring, scoringStream } from "../../domain/scoring"
import {
  CloseScoring,
  CloseScoringPayload,
  CommitScore,
  CommitScorePayload,
  DrawScoringJudges,
  DrawScoringJudgesPayload,
  RequestScoring,
  RequestScoringPayload,
  RevealScore,
  RevealScorePayload
} from "../../domain/scoring/commands"
import { scoringIdOf } from "../../domain/scoring/commitment"
import { commandSpec } from "../commandSpec"
import { handleCommand } from "../handleCommand"
import { loadDeposited } from "../escrowFacts"
import { loadScoringFacts, loadScoringRequestHash, loadStakedValidators } from "../scoringFacts"

/** Scoring a model version by consensus (docs/protocol.md §8). */
export const scoringCommands = [
  commandSpec({
    type: "RequestScoring",
    aggregate: "scoring",
    summary:
      "Ask staked validators to score a model version on a validation dataset (ONNX submissions in onnxruntime, others in TF.js); the scoring id is <modelId>-v<version>-<datasetId>, once per pair.",
    payload: RequestScoringPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const scoringId = scoringIdOf(p.modelId, p.version, p.datasetId)
        const facts = yield* loadScoringFacts(p.modelId, p.version, p.datasetId, p.workload)
        // With on-chain settlement a fee is a deposit into scoring:<scoringId>, by the requester.
        const deposited = ctx.settlement && (p.fee ?? 0n) > 0n ? yield* loadDeposited({ _tag: "Scoring", scoringId }, ctx.actor) : undefined
        return yield* handleCommand(
          scoring,
          scoringStream(scoringId),
          new RequestScoring({ ...p, scoringId, facts, actor: ctx.actor, at: ctx.at, ...(deposited === undefined ? {} : { deposited }) }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "DrawScoringJudges",
    aggregate: "scoring",
    summary: "Draw a scoring's judges by free stake from the hash of the log entry that recorded the request (anyone may ask; nobody chooses).",
    payload: DrawScoringJudgesPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const requestCommitHash = yield* loadScoringRequestHash(p.scoringId)
        const candidates = yield* loadStakedValidators(ctx.protocol.minStake.validator)
        return yield* handleCommand(
          scoring,
          scoringStream(p.scoringId),
          new DrawScoringJudges({ ...p, requestCommitHash, candidates, commitSeconds: ctx.protocol.commitSeconds, actor: ctx.actor, at: ctx.at }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "CommitScore",
    aggregate: "scoring",
    summary: "A drawn judge commits its hidden metrics: scoreCommitment = sha256('neuralink-score:v1|<scoringId>|<nodeId>|<name=value,… sorted>|<salt>').",
    payload: CommitScorePayload,
    handle: (p, ctx) => handleCommand(scoring, scoringStream(p.scoringId), new CommitScore({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "RevealScore",
    aggregate: "scoring",
    summary: "A judge reveals its committed metrics once every judge committed or the commit window passed; the last reveal settles the scoring.",
    payload: RevealScorePayload,
    handle: (p, ctx) => handleCommand(scoring, scoringStream(p.scoringId), new RevealScore({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "CloseScoring",
    aggregate: "scoring",
    summary: "After the reveal window (anyone may ask): settle with the reveals there are; silent judges are not paid.",
    payload: CloseScoringPayload,
    handle: (p, ctx) => handleCommand(scoring, scoringStream(p.scoringId), new CloseScoring({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  })
]
