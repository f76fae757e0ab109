import { createHash } from "node:crypto"
import type { Hash32 } from "../domain/primitives"
import { checkpointLeaf } from "../domain/task/commitments"
import type { CheckpointState, SegmentEvidence } from "../domain/task/events"

/**
 * The simulation's deterministic stand-in for training, step by step: the
 * state after step k replayed from state s is H(s, k). A segment's states
 * are its steps' chain; a forger that skipped a segment commits a made-up end
 * and, asked to open it in a dispute, answers with the honest chain up to
 * some step and made-up states after it (its committed end last).
 */
export const h = (...parts: ReadonlyArray<string | number>) => `0x${createHash("sha256").update(parts.join("|")).digest("hex")}` as Hash32

/** Step k replayed from state s. */
export const stepFrom = (s: CheckpointState, k: number): CheckpointState => ({ weights: h(s.weights, s.optimizer, k, "w"), optimizer: h(s.weights, s.optimizer, k, "o") })

/** The states after every step of [from, to), replayed honestly from `start`. */
export const replay = (start: CheckpointState, from: number, to: number): Array<CheckpointState> => {
  const states: Array<CheckpointState> = []
  let s = start
  for (let k = from + 1; k <= to; k++) states.push((s = stepFrom(s, k)))
  return states
}

/** A forger's answer for a segment it skipped: honest before `breakAt`, made up from it on, ending in its committed end. */
export const forgedChain = (start: CheckpointState, from: number, to: number, breakAt: number, end: CheckpointState, tag: string): Array<CheckpointState> =>
  replay(start, from, to).map((s, i) => {
    const k = from + 1 + i
    return k === to ? end : k < breakAt ? s : { weights: h("fake-step", tag, k), optimizer: h("fake-step-o", tag, k) }
  })

/** A judge's evidence from the leaves of its chain: the probe, the end and the whole list. */
export const evidenceOf = (leaves: ReadonlyArray<Hash32>, probeStep: number, from: number): SegmentEvidence => ({
  probeHash: leaves[probeStep - from - 1]!,
  endHash: leaves[leaves.length - 1]!,
  steps: leaves
})

export const leavesOf = (states: ReadonlyArray<CheckpointState>) => states.map(checkpointLeaf)
