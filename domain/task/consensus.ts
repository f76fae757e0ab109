import type { Metrics } from "../primitives"
import type { Vote } from "./state"

export type Consensus =
  | { readonly outcome: "pending" }
  | { readonly outcome: "verified"; readonly metrics: Metrics; readonly tally: Tally }
  | { readonly outcome: "rejected"; readonly tally: Tally; readonly reason: string }

export interface Tally {
  readonly accept: number
  readonly reject: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The consensus measurement of a result: per metric every accepting vote reported, the median of their values. */
export const consensusMetrics = (accepting: ReadonlyArray<Pick<Vote, "measured">>): Metrics => {
  const names = Object.keys(accepting[0]?.measured ?? {}).filter((k) => accepting.every((v) => typeof v.measured[k] === "number")).sort()
  return Object.fromEntries(names.map((k) => [k, median(accepting.map((v) => v.measured[k]!))]))
}

/**
 * A result is decided once `quorum` votes agree, either way. Never earlier:
 * a lone dissenting vote must not decide (nor veto) a result when several
 * validators are assigned; an undecided result stays open until the round
 * closes. `createTask` refuses configurations where one validator could
 * decide or veto alone (see `quorumProblem`).
 */
export const tallyVotes = (votes: ReadonlyArray<Vote>, quorum: number): Consensus => {
  const accepting = votes.filter((v) => v.verdict === "accept")
  const tally = { accept: accepting.length, reject: votes.length - accepting.length }
  if (tally.accept >= quorum) {
    return {
      outcome: "verified",
      tally,
      metrics: consensusMetrics(accepting)
    }
  }
  if (tally.reject >= quorum) return { outcome: "rejected", tally, reason: `${tally.reject} validators rejected it (quorum ${quorum})` }
  return { outcome: "pending" }
}

/**
 * Why a (validatorsPerResult, quorum) pair lets one validator decide or veto,
 * or undefined when it does not. With one validator it decides alone by
 * definition (the owner chose that). With several: a quorum of at least 2 (no
 * single vote decides), a strict majority (two outcomes cannot both reach it)
 * and at most all but one (one validator withholding or dissenting cannot
 * block acceptance).
 */
export const quorumProblem = (validatorsPerResult: number, quorum: number): string | undefined => {
  if (validatorsPerResult === 1) return quorum === 1 ? undefined : "with one validator per result the quorum must be 1"
  if (quorum < 2) return "with several validators per result a single vote must not decide: quorum must be at least 2"
  if (2 * quorum <= validatorsPerResult) return "quorum must be a strict majority of validatorsPerResult"
  if (quorum > validatorsPerResult - 1) return "quorum must be at most validatorsPerResult - 1, or one validator could veto every result"
  return undefined
}
