import { sha256Hex } from "../../infra/contentHash"
import type { Samples } from "../kit/samples"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync } from "node:zlib"

/**
 * The UCI optical digits data (Alpaydin & Kaynak, CC BY 4.0; see
 * ./data/README.txt), shipped with the repo so nothing is downloaded:
 * `optdigits-tra` (3823 rows) is the training data, `digits.csv.gz`
 * (optdigits.tes, 1797 rows) the held-out validation set (files in ./data). 64 pixel counts
 * 0..16 then the label. Everything is content-addressed by SHA-256 of the
 * rows' bytes, so a node can check that the shard it was given is the one
 * the task registered.
 */
const here = dirname(fileURLToPath(import.meta.url))
export const DIGITS_FEATURES = 64
export const DIGITS_CLASSES = 10


export interface Shard {
  readonly shardId: string
  readonly rows: ReadonlyArray<string>
  readonly contentHash: `0x${string}`
  readonly sampleCount: number
}


const rowsOf = (file: string): ReadonlyArray<string> =>
  gunzipSync(readFileSync(join(here, "data", file)))
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

/** Samples of digits rows: 64 pixel counts scaled to [0, 1], the label as the target. */
export const parseRows = (rows: ReadonlyArray<string>): Samples => {
  const x = new Float32Array(rows.length * DIGITS_FEATURES)
  const y = new Int32Array(rows.length)
  rows.forEach((row, i) => {
    const values = row.split(",")
    if (values.length !== DIGITS_FEATURES + 1) throw new Error(`digits row ${i}: ${values.length} values, expected ${DIGITS_FEATURES + 1}`)
    for (let j = 0; j < DIGITS_FEATURES; j++) x[i * DIGITS_FEATURES + j] = Number(values[j]) / 16
    const label = Number(values[DIGITS_FEATURES])
    if (!Number.isInteger(label) || label < 0 || label >= DIGITS_CLASSES) throw new Error(`digits row ${i}: label ${values[DIGITS_FEATURES]} is not 0..9`)
    y[i] = label
  })
  return { count: rows.length, x, xShape: [DIGITS_FEATURES], y, yWidth: 1 }
}

/** Split rows into `count` contiguous, content-hashed shards. */
export const shardRows = (rows: ReadonlyArray<string>, count: number, prefix: string): ReadonlyArray<Shard> => {
  const size = Math.ceil(rows.length / count)
  return Array.from({ length: count }, (_, i) => {
    const part = rows.slice(i * size, (i + 1) * size)
    return { shardId: `${prefix}${i + 1}`, rows: part, contentHash: rowsHash(part), sampleCount: part.length }
  }).filter((s) => s.sampleCount > 0)
}

