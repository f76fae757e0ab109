import type { Address } from "../domain/primitives"

/** What a simulation run counts (simulate.ts turns it into the report). */
export interface Tally {
  results: number
  forged: number
  /** Forged results that became final (survived the challenge window). */
  forgedFinal: number
  /** Forged results accepted at close that a watcher's challenge overturned. */
  overturned: number
  /** Per forged result accepted at close: the chance the watchers predict they catch it, 1 − (1 − k/S)^W. */
  predictedWatcherCatch: number
  /** Trainer rewards paid to forgers (only for forged results that became final). */
  forgerPaid: bigint
  /** Fully forged results (every segment skipped) that became final: the protocol's promise is none. */
  fullyForgedFinal: number
  fullyForged: number
  /** Σ over forged results of the fraction of segments skipped (the compute a forger saves), and how many were caught (at close or by a watcher). */
  skippedFraction: number
  forgedCaughtTotal: number
  /** Trainer rewards of verified honest results, and how many: the reward a result earns. */
  honestTrainerPaid: bigint
  honestVerified: number
  forgedCaught: number
  forgedAccepted: number
  /** Per forged result: the chance the protocol predicts it is caught (audit hits a skipped segment, and not every judge is the attacker's). */
  predictedCatch: number
  allJudgesAttacker: number
  lazyVotes: number
  lazyProvenWrong: number
  paid: Map<Address, bigint>
  slashed: Map<Address, bigint>
  refereeEarned: bigint
  events: number
  /** Compute units: a trainer's run is STEPS units; re-executing a segment is its length; evaluating is `evalCost`. */
  trainerUnits: number
  judgeUnits: number
  watcherUnits: number
  refereeUnits: number
  /** What the referee would have spent replaying every contested result's whole segment (no bisection). */
  segmentRefereeUnits: number
  /** Contested results settled by bisection; how many of them the segment replay would have settled alike; and forgeries it would have caught that no honest judge disputed. */
  bisected: number
  /** Distinct steps the bisected disputes came down to, and the jurors that ruled on them (silent ones not counted). */
  bisectedSteps: number
  /** Bisected disputes whose jury the attacker's jurors outweighed (a ruling other than the honest replay). */
  juriesOutvoted: number
  jurorsSeated: number
  bisectionAgrees: number
  bisectionLeftToWatchers: number
}

export const emptyTally = (): Tally => ({
  results: 0,
  forged: 0,
  forgedFinal: 0,
  overturned: 0,
  predictedWatcherCatch: 0,
  forgerPaid: 0n,
  fullyForgedFinal: 0,
  fullyForged: 0,
  skippedFraction: 0,
  forgedCaughtTotal: 0,
  honestTrainerPaid: 0n,
  honestVerified: 0,
  forgedCaught: 0,
  forgedAccepted: 0,
  predictedCatch: 0,
  allJudgesAttacker: 0,
  lazyVotes: 0,
  lazyProvenWrong: 0,
  paid: new Map(),
  slashed: new Map(),
  refereeEarned: 0n,
  events: 0,
  trainerUnits: 0,
  judgeUnits: 0,
  watcherUnits: 0,
  refereeUnits: 0,
  segmentRefereeUnits: 0,
  bisected: 0,
  bisectedSteps: 0,
  juriesOutvoted: 0,
  jurorsSeated: 0,
  bisectionAgrees: 0,
  bisectionLeftToWatchers: 0
})

