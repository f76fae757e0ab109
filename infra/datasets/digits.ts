import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync } from "node:zlib"

/**
 * The UCI optical digits data (Alpaydin & Kaynak, CC BY 4.0; see
 * ./digits/README.txt), shipped with the repo so nothing is downloaded:
 * `optdigits-tra` (3823 rows) is the training data, `digits.csv.gz`
 * (optdigits.tes, 1797 rows) the held-out validation set. 64 pixel counts
 * 0..16 then the label. Everything is content-addressed by SHA-256 of the
 * rows' bytes, so a node can check that the shard it was given is the one
 * the task registered.
 */
const here = dirname(fileURLToPath(import.meta.url))
export const DIGITS_FEATURES = 64
export const DIGITS_CLASSES = 10

export interface Samples {
  /** count × 64 features, scaled to [0, 1]. */
  readonly features: Float32Array
  readonly labels: Int32Array
  readonly count: number
}

export interface Shard {
  readonly shardId: string
  readonly rows: ReadonlyArray<string>
  readonly contentHash: `0x${string}`
  readonly sampleCount: number
}

export const sha256Hex = (data: string | Uint8Array): `0x${string}` => `0x${createHash("sha256").update(data).digest("hex")}`

const rowsOf = (file: string): ReadonlyArray<string> =>
  gunzipSync(readFileSync(join(here, "digits", file)))
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim().length > 0)

const cache = new Map<string, ReadonlyArray<string>>()
export const digitRows = (split: "training" | "validation"): ReadonlyArray<string> => {
  const file = split === "training" ? "optdigits-tra.csv.gz" : "digits.csv.gz"
  let rows = cache.get(file)
  if (!rows) cache.set(file, (rows = rowsOf(file)))
  return rows
}

/** The canonical bytes of a set of rows (what content hashes are taken over). */
export const rowsBytes = (rows: ReadonlyArray<string>) => `${rows.join("\n")}\n`
export const rowsHash = (rows: ReadonlyArray<string>) => sha256Hex(rowsBytes(rows))

export const parseRows = (rows: ReadonlyArray<string>): Samples => {
  const features = new Float32Array(rows.length * DIGITS_FEATURES)
  const labels = new Int32Array(rows.length)
  rows.forEach((row, i) => {
    const values = row.split(",")
    if (values.length !== DIGITS_FEATURES + 1) throw new Error(`digits row ${i}: ${values.length} values, expected ${DIGITS_FEATURES + 1}`)
    for (let j = 0; j < DIGITS_FEATURES; j++) features[i * DIGITS_FEATURES + j] = Number(values[j]) / 16
    labels[i] = Number(values[DIGITS_FEATURES])
  })
  return { features, labels, count: rows.length }
}

/** Split rows into `count` contiguous, content-hashed shards. */
export const shardRows = (rows: ReadonlyArray<string>, count: number, prefix: string): ReadonlyArray<Shard> => {
  const size = Math.ceil(rows.length / count)
  return Array.from({ length: count }, (_, i) => {
    const part = rows.slice(i * size, (i + 1) * size)
    return { shardId: `${prefix}${i + 1}`, rows: part, contentHash: rowsHash(part), sampleCount: part.length }
  }).filter((s) => s.sampleCount > 0)
}

/** Samples of the given shards, checking each against the hash the task registered. */
export const samplesOfShards = (
  shards: ReadonlyArray<Shard>,
  wanted: ReadonlyArray<{ readonly shardId: string; readonly contentHash: string }>
): Samples => {
  const byId = new Map(shards.map((s) => [s.shardId, s]))
  const rows: Array<string> = []
  for (const w of wanted) {
    const shard = byId.get(w.shardId)
    if (!shard) throw new Error(`shard ${w.shardId} is not available on this node`)
    if (shard.contentHash !== w.contentHash) throw new Error(`shard ${w.shardId}: local content ${shard.contentHash} differs from registered ${w.contentHash}`)
    rows.push(...shard.rows)
  }
  return parseRows(rows)
}
