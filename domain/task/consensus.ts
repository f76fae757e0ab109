import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import type { Address, Metrics, NodeId } from "../primitives"
import type { Vote } from "./state"

/**
 * Validators for a result: deterministic (anyone can recompute the choice
 * from the log), never the trainer's node nor another node of the trainer's
 * address, spread by a hash of (result, node) so no node can position itself.
 */
export const selectValidators = (
  resultId: string,
  trainer: { readonly nodeId: NodeId; readonly address: Address },
  validators: ReadonlyArray<{ readonly nodeId: NodeId; readonly address: Address }>,
  count: number
): ReadonlyArray<NodeId> =>
  validators
    .filter((v) => v.nodeId !== trainer.nodeId && v.address !== trainer.address)
    .map((v) => ({ nodeId: v.nodeId, rank: bytesToHex(sha256(utf8ToBytes(`${resultId}:${v.nodeId}`))) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, count)
    .map((v) => v.nodeId)

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

/**
 * A result is decided as soon as `quorum` votes agree; it is rejected early
 * when too few validators are left for acceptance to reach the quorum.
 */
export const tallyVotes = (votes: ReadonlyArray<Vote>, assigned: number, quorum: number): Consensus => {
  const accepting = votes.filter((v) => v.verdict === "accept")
  const tally = { accept: accepting.length, reject: votes.length - accepting.length }
  if (tally.accept >= quorum) {
    return {
      outcome: "verified",
      tally,
      metrics: { accuracy: median(accepting.map((v) => v.measured.accuracy)), loss: median(accepting.map((v) => v.measured.loss)) }
    }
  }
  if (tally.reject >= quorum) return { outcome: "rejected", tally, reason: `${tally.reject} of ${assigned} validators rejected it` }
  if (tally.accept + (assigned - votes.length) < quorum) {
    return { outcome: "rejected", tally, reason: `acceptance can no longer reach the quorum of ${quorum}` }
  }
  return { outcome: "pending" }
}
