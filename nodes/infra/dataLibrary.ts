import { digitRows, rowsHash, shardRows, parseRows, type Samples } from "../../infra/datasets/digits"

/**
 * The public data a node holds locally, found by content hash: a task names
 * shards and its validation set by SHA-256, the node looks them up here and
 * so can only ever train or evaluate on exactly the registered bytes.
 * It indexes the digits training rows cut into 1..16 contiguous shards (the
 * shardings `shardRows` produces) and the held-out rows.
 */
export interface DataLibrary {
  readonly samples: (contentHashes: ReadonlyArray<string>) => Samples
}

export const digitsLibrary = (): DataLibrary => {
  const byHash = new Map<string, ReadonlyArray<string>>()
  const training = digitRows("training")
  for (let k = 1; k <= 16; k++) for (const shard of shardRows(training, k, "s")) byHash.set(shard.contentHash, shard.rows)
  const validation = digitRows("validation")
  byHash.set(rowsHash(validation), validation)
  // Parsed sets, by the hashes they were asked for: a validator judging many
  // results of one task parses each shard once. Samples are never mutated.
  const parsed = new Map<string, Samples>()
  return {
    samples(contentHashes) {
      const key = contentHashes.join(",")
      const cached = parsed.get(key)
      if (cached) return cached
      const rows: Array<string> = []
      for (const hash of contentHashes) {
        const found = byHash.get(hash)
        if (!found) throw new Error(`no local data with content hash ${hash}`)
        rows.push(...found)
      }
      const samples = parseRows(rows)
      if (parsed.size >= 32) parsed.delete(parsed.keys().next().value!)
      parsed.set(key, samples)
      return samples
    }
  }
}
