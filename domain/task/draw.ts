import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import type { Address, NodeId } from "../primitives"
import type { Audit } from "./events"

/**
 * Unbiased assignment (docs/protocol.md §2). Everything here is a pure
 * function of a seed that no participant chooses: the hash of the log entry
 * that recorded the result. Integer arithmetic only (bigint), so any
 * language can recompute a draw from the log.
 */

const uint = (text: string): bigint => BigInt(`0x${bytesToHex(sha256(utf8ToBytes(text)))}`)

export interface Candidate {
  readonly nodeId: NodeId
  readonly address: Address
  readonly stake: bigint
}

/**
 * The `index`-th judge of a result: draw number `index` picks a point in
 * [0, total stake) from sha256(seed ":draw:" index) and takes the candidate
 * whose stake interval holds it (candidates in node-id order). Splitting
 * stake across many identities does not change anyone's chances: the odds
 * are stake / total stake per draw.
 */
export const drawOne = (seed: string, index: number, candidates: ReadonlyArray<Candidate>): Candidate | undefined => {
  const pool = [...candidates].filter((c) => c.stake > 0n).sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
  const total = pool.reduce((s, c) => s + c.stake, 0n)
  if (total === 0n) return undefined
  let point = uint(`${seed}:draw:${index}`) % total
  for (const c of pool) {
    if (point < c.stake) return c
    point -= c.stake
  }
  return undefined
}

/**
 * `count` distinct judges, weighted by stake, never the trainer's node or
 * address. Draw i chooses among the candidates not drawn before it, so the
 * sequence continues deterministically when a judge must be replaced.
 */
export const drawValidators = (
  seed: string,
  trainer: { readonly nodeId: NodeId; readonly address: Address },
  candidates: ReadonlyArray<Candidate>,
  count: number,
  already: ReadonlyArray<NodeId> = []
): ReadonlyArray<NodeId> => {
  const taken = new Set<string>(already)
  let pool = candidates.filter((c) => c.nodeId !== trainer.nodeId && c.address !== trainer.address && !taken.has(c.nodeId))
  const drawn: Array<NodeId> = []
  for (let i = already.length; drawn.length < count; i++) {
    const pick = drawOne(seed, i, pool)
    if (!pick) break
    drawn.push(pick.nodeId)
    pool = pool.filter((c) => c.nodeId !== pick.nodeId)
  }
  return drawn
}

/** Segments of a committed run: `states - 1`, the last one possibly shorter. */
export const segmentBounds = (segment: number, interval: number, steps: number) => ({
  from: segment * interval,
  to: Math.min((segment + 1) * interval, steps)
})

/**
 * The segment every judge re-executes and the probe step inside it, from the
 * seed: only segments of two or more steps qualify, so the probe is never a
 * committed checkpoint (whose leaf anyone can copy from the proof).
 */
export const auditOf = (seed: string, interval: number, steps: number): Audit | undefined => {
  const segments = Math.ceil(steps / interval)
  const eligible = Array.from({ length: segments }, (_, i) => i).filter((i) => {
    const { from, to } = segmentBounds(i, interval, steps)
    return to - from >= 2
  })
  if (eligible.length === 0) return undefined
  const segment = eligible[Number(uint(`${seed}:segment`) % BigInt(eligible.length))]!
  const { from, to } = segmentBounds(segment, interval, steps)
  // A step strictly inside (from, to): the state after `probeStep` steps.
  const probeStep = from + 1 + Number(uint(`${seed}:probe`) % BigInt(to - from - 1))
  return { segment, probeStep }
}

/** Re-executing a segment chosen by someone else (a referee, a watcher): its probe is the first step inside it. */
export const segmentAudit = (segment: number, interval: number, steps: number): Audit => {
  const { from, to } = segmentBounds(segment, interval, steps)
  return { segment, probeStep: to - from >= 2 ? from + 1 : to }
}

/** The checkpoint interval a run of `steps` steps must use under a protocol of `checkpoints` checkpoints. */
export const checkpointInterval = (steps: number, checkpoints: number) => Math.max(2, Math.ceil(steps / checkpoints))
