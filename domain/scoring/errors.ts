import { Schema } from "effect"

const S = Schema.String
export class ScoringNotFound extends Schema.TaggedError<ScoringNotFound>()("ScoringNotFound", { scoringId: S }) {}
export class ScoringAlreadyRequested extends Schema.TaggedError<ScoringAlreadyRequested>()("ScoringAlreadyRequested", { scoringId: S }) {}
/** The request itself cannot be scored (wrong split or format of dataset, unknown metric, no artefact to run). */
export class ScoringRequestInvalid extends Schema.TaggedError<ScoringRequestInvalid>()("ScoringRequestInvalid", { reason: S }) {}
export class JudgesAlreadyDrawn extends Schema.TaggedError<JudgesAlreadyDrawn>()("JudgesAlreadyDrawn", { scoringId: S }) {}
export class JudgesNotDrawn extends Schema.TaggedError<JudgesNotDrawn>()("JudgesNotDrawn", { scoringId: S }) {}
export class NotDrawnJudge extends Schema.TaggedError<NotDrawnJudge>()("NotDrawnJudge", { scoringId: S, nodeId: S }) {}
export class NotJudgeKey extends Schema.TaggedError<NotJudgeKey>()("NotJudgeKey", { nodeId: S, actor: S }) {}
export class ScoreAlreadyCommitted extends Schema.TaggedError<ScoreAlreadyCommitted>()("ScoreAlreadyCommitted", { scoringId: S, nodeId: S }) {}
export class ScoreCommitClosed extends Schema.TaggedError<ScoreCommitClosed>()("ScoreCommitClosed", { scoringId: S, nodeId: S }) {}
export class ScoreNotCommitted extends Schema.TaggedError<ScoreNotCommitted>()("ScoreNotCommitted", { scoringId: S, nodeId: S }) {}
export class ScoreAlreadyRevealed extends Schema.TaggedError<ScoreAlreadyRevealed>()("ScoreAlreadyRevealed", { scoringId: S, nodeId: S }) {}
/** Reveals open once every judge committed or the commit window passed: try again then. */
export class ScoreRevealNotOpen extends Schema.TaggedError<ScoreRevealNotOpen>()("ScoreRevealNotOpen", { scoringId: S, opensAt: S }) {}
export class ScoreCommitmentMismatch extends Schema.TaggedError<ScoreCommitmentMismatch>()("ScoreCommitmentMismatch", { scoringId: S, nodeId: S }) {}
export class ScoringSettled extends Schema.TaggedError<ScoringSettled>()("ScoringSettled", { scoringId: S }) {}
export class ScoringStillOpen extends Schema.TaggedError<ScoringStillOpen>()("ScoringStillOpen", { scoringId: S, closesAt: S }) {}

export type ScoringError =
  | import("../escrow/errors").NotDeposited
  | ScoringNotFound
  | ScoringAlreadyRequested
  | ScoringRequestInvalid
  | JudgesAlreadyDrawn
  | JudgesNotDrawn
  | NotDrawnJudge
  | NotJudgeKey
  | ScoreAlreadyCommitted
  | ScoreCommitClosed
  | ScoreNotCommitted
  | ScoreAlreadyRevealed
  | ScoreRevealNotOpen
  | ScoreCommitmentMismatch
  | ScoringSettled
  | ScoringStillOpen
