import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import type { Hash32 } from "../primitives"
import type { CheckpointState, SegmentEvidence, Verdict } from "./events"

const sha256Text = (text: string): Hash32 => `0x${bytesToHex(sha256(utf8ToBytes(text)))}` as Hash32
const sha256Pair = (a: string, b: string): Hash32 => {
  const bytes = new Uint8Array(64)
  bytes.set(Buffer.from(a.slice(2), "hex"), 0)
  bytes.set(Buffer.from(b.slice(2), "hex"), 32)
  return `0x${bytesToHex(sha256(bytes))}` as Hash32
}

/** A checkpoint's leaf: sha256 of the text `<weightsHash>:<optimizerHash>` (both 0x-hex). */
export const checkpointLeaf = (state: CheckpointState): Hash32 => sha256Text(`${state.weights}:${state.optimizer}`)

/**
 * Merkle root over leaves: each level pairs neighbours, sha256(left ‖ right)
 * over the 64 raw bytes; an odd last node is carried up unchanged.
 */
export const merkleRoot = (leaves: ReadonlyArray<string>): Hash32 => {
  if (leaves.length === 0) throw new Error("merkleRoot of nothing")
  let level = [...leaves]
  while (level.length > 1) {
    const next: Array<string> = []
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? sha256Pair(level[i]!, level[i + 1]!) : level[i]!)
    level = next
  }
  return level[0] as Hash32
}

/**
 * What a judge commits before revealing: sha256 of the text
 * `neuralink-vote:v1|<resultId>|<nodeId>|<verdict>|<probeHash>|<endHash>|<salt>`.
 * The salt (32 random bytes, 0x-hex) keeps the commitment from being guessed
 * from the few possible verdicts.
 */
export const voteCommitment = (v: {
  readonly resultId: string
  readonly nodeId: string
  readonly verdict: Verdict
  readonly evidence: SegmentEvidence
  readonly salt: string
}): Hash32 => sha256Text(`neuralink-vote:v1|${v.resultId}|${v.nodeId}|${v.verdict}|${v.evidence.probeHash}|${v.evidence.endHash}|${v.salt}`)

/**
 * What a juror commits before revealing its ruling on a bisected dispute:
 * sha256 of the text `neuralink-ruling:v1|<resultId>|<nodeId>|<step>=<leaf>,…|<salt>`
 * (steps ascending).
 */
export const rulingCommitment = (v: {
  readonly resultId: string
  readonly nodeId: string
  readonly rulings: ReadonlyArray<{ readonly step: number; readonly leaf: string }>
  readonly salt: string
}): Hash32 => sha256Text(`neuralink-ruling:v1|${v.resultId}|${v.nodeId}|${v.rulings.map((x) => `${x.step}=${x.leaf}`).join(",")}|${v.salt}`)
