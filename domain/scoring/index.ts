import type { Decider } from "../decider"
import type { ScoringCommand } from "./commands"
import { decideScoring } from "./decide"
import type { ScoringError } from "./errors"
import type { ScoringEvent } from "./events"
import { evolveScoring, initialScoringState, type ScoringState } from "./state"

/** Scoring a model version by consensus: one stream per (version, validation dataset). */
export const scoring: Decider<ScoringCommand, ScoringEvent, ScoringState, ScoringError> = {
  decide: decideScoring,
  evolve: evolveScoring,
  initialState: initialScoringState
}
export const scoringStream = (scoringId: string) => `scoring-${scoringId}`
