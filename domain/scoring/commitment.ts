import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import type { Hash32, Metrics } from "../primitives"

/** Metrics as text any language can rebuild: `name=value` sorted by name, values as JSON numbers. */
const metricsText = (metrics: Metrics) =>
  Object.keys(metrics)
    .sort()
    .map((k) => `${k}=${JSON.stringify(metrics[k])}`)
    .join(",")

/**
 * What a scoring judge commits before revealing: sha256 of the text
 * `neuralink-score:v1|<scoringId>|<nodeId>|<metrics>|<salt>`. The salt keeps
 * the few likely metric values from being guessed from the commitment.
 */
export const scoreCommitment = (s: { readonly scoringId: string; readonly nodeId: string; readonly metrics: Metrics; readonly salt: string }): Hash32 =>
  `0x${bytesToHex(sha256(utf8ToBytes(`neuralink-score:v1|${s.scoringId}|${s.nodeId}|${metricsText(s.metrics)}|${s.salt}`)))}` as Hash32

/** One scoring per model version and validation dataset: its id (and stream) follow from them, so nobody can ask twice to redraw. */
export const scoringIdOf = (modelId: string, version: number, datasetId: string): string => {
  const readable = `${modelId}-v${version}-${datasetId}`
  return readable.length <= 128 ? readable : `${modelId}-v${version}-${bytesToHex(sha256(utf8ToBytes(datasetId))).slice(0, 24)}`
}
