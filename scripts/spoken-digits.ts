import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { sha256Hex } from "../infra/contentHash"
import { spokenDigits } from "../workloads/spoken-digits"

/**
 * Generates the spoken-digits dataset from its recipe (workloads/spoken-digits/recipe.ts)
 * with espeak-ng, as content-addressed shards a data provider uploads:
 *   npm run spoken-digits -- [--out dir] [--shards N] [--train N] [--held-out N]
 * writes <out>/<sha256>.jsonl per shard and <out>/dataset.json (the shards' hashes and sample
 * counts, and the recipe to put in RegisterDataset's `recipe`). Running it twice gives the same
 * bytes and hashes: the synthesiser is deterministic for a voice, speed, pitch and word.
 */
const args = process.argv.slice(2)
if (args.includes("--help")) {
  console.log("usage: npm run spoken-digits -- [--out dir] [--shards N] [--train N] [--held-out N]")
  process.exit(0)
}
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const n = Number(args[i + 1])
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} takes a positive integer, got ${args[i + 1]}`)
    process.exit(2)
  }
  return n
}
const outIndex = args.indexOf("--out")
const out = outIndex >= 0 ? args[outIndex + 1]! : ".data/spoken-digits"
const size = { shards: flag("shards", 4), trainSamples: flag("train", 2000), heldOutSamples: flag("held-out", 640) }

const started = performance.now()
const data = spokenDigits.publicData(size)
mkdirSync(out, { recursive: true })
const write = (bytes: Uint8Array) => {
  const contentHash = sha256Hex(bytes)
  writeFileSync(join(out, `${contentHash.slice(2)}.jsonl`), bytes)
  return { contentHash, sampleCount: spokenDigits.decode(bytes, {}).count, bytes: bytes.length }
}
const record = {
  workload: spokenDigits.id,
  format: spokenDigits.data.format,
  licence: spokenDigits.data.licence,
  training: { name: data.names.training, recipe: data.recipe?.training, shards: data.training.map(write) },
  validation: { name: data.names.validation, recipe: data.recipe?.validation, shard: write(data.validation) }
}
writeFileSync(join(out, "dataset.json"), JSON.stringify(record, null, 2) + "\n")
console.log(JSON.stringify({ out, seconds: Number(((performance.now() - started) / 1000).toFixed(1)), training: record.training.shards, validation: record.validation.shard }, null, 2))
