import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { sha256Hex } from "../../../infra/contentHash"
import { spokenDigits } from "../../../workloads/spoken-digits"
import { synthesise, utterances } from "../../../workloads/spoken-digits/recipe"

/**
 * The spoken-digits data is reproducible from its recipe with Debian's
 * espeak-ng: synthesised twice into empty caches, the same utterances give
 * the same PCM and the same shard hashes. Malformed shards are refused with
 * a reason, as every workload's decode must.
 */
const dirs: Array<string> = []
const freshCache = () => {
  const dir = mkdtempSync(join(tmpdir(), "spoken-"))
  dirs.push(dir)
  process.env.SPOKEN_DIGITS_CACHE = dir
  return dir
}
afterEach(() => {
  delete process.env.SPOKEN_DIGITS_CACHE
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe("spoken-digits data (espeak-ng)", () => {
  it("synthesises the same bytes from the recipe in two empty caches: same PCM, same shard hashes", () => {
    const size = { shards: 2, trainSamples: 6, heldOutSamples: 3 }
    freshCache()
    const first = spokenDigits.publicData(size)
    const pcm = synthesise(utterances("heldOut", 0, 1)[0]!)
    freshCache()
    const second = spokenDigits.publicData(size)
    expect(second.training.map(sha256Hex)).toEqual(first.training.map(sha256Hex))
    expect(sha256Hex(second.validation)).toBe(sha256Hex(first.validation))
    expect(Array.from(synthesise(utterances("heldOut", 0, 1)[0]!))).toEqual(Array.from(pcm))
    // Real speech: a word is a few thousand samples at 11,025 Hz, not silence.
    expect(pcm.length).toBeGreaterThan(3000)
    expect(Math.max(...Array.from(pcm, Math.abs))).toBeGreaterThan(1000)
    const samples = spokenDigits.decode(first.validation, {})
    expect(samples).toMatchObject({ count: 3, xShape: [80, 24, 1] })
    expect(JSON.parse(first.recipe!.validation)).toMatchObject({ split: "heldOut" })
  })

  it("refuses malformed shards with the line and the reason", () => {
    const line = (o: object) => new TextEncoder().encode(`${JSON.stringify(o)}\n`)
    expect(() => spokenDigits.decode(new Uint8Array(0), {})).toThrow(/no utterances/)
    expect(() => spokenDigits.decode(new TextEncoder().encode("not json\n"), {})).toThrow(/line 1 is not JSON/)
    expect(() => spokenDigits.decode(line({ label: 12, rate: 11025, pcm: "" }), {})).toThrow(/no label 0..9/)
    expect(() => spokenDigits.decode(line({ label: 1, rate: 8000, pcm: "" }), {})).toThrow(/not 11025 Hz/)
    expect(() => spokenDigits.decode(line({ label: 1, rate: 11025 }), {})).toThrow(/no pcm/)
  })
})
