import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs"
import { join } from "node:path"
import { canonicalJson } from "../../infra/canonicalJson"
import { seededPermutation, seededRandom } from "../../infra/ml/model"
import { halveRate, readWav } from "../kit/audio"

/**
 * How the spoken-digits data is made: every utterance is a digit word
 * synthesised by Debian's espeak-ng with an accent, a voice variant, a speed
 * and a pitch. The recipe is data: it is recorded in the datasets'
 * registration (`recipe`), and `npm run spoken-digits` (scripts/spoken-digits.ts)
 * regenerates the same shards, byte for byte, from it. Held-out utterances use
 * voice variants that never occur in training, so the metric measures
 * recognition of unseen speakers, not memory of voices.
 */
export const RECIPE = {
  synthesiser: "espeak-ng 1.51 (Debian bookworm package espeak-ng)",
  words: ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
  accents: ["en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"],
  trainingVariants: ["m1", "m2", "m4", "m5", "m6", "m7", "f1", "f3", "f5", "adam", "Alex", "Annie", "benjamin", "caleb", "david", "edward", "linda", "max", "Michael", "norbert", "paul", "quincy", "rob", "steph", "travis", "zac"],
  heldOutVariants: ["m3", "f2", "f4", "Andy", "john", "shelby", "aunty", "robert"],
  /** Words per minute and pitch (0–99), drawn uniformly per utterance from the seed. */
  speed: [140, 200],
  pitch: [25, 75],
  seed: 20261126,
  /** espeak-ng writes 22,050 Hz; shards hold 11,025 Hz (enough for speech below 5.5 kHz, half the bytes). */
  sampleRate: 11025
} as const

export interface Utterance {
  readonly label: number
  readonly word: string
  readonly voice: string
  readonly speed: number
  readonly pitch: number
}

/**
 * The i-th utterance of a split: the split's (word, accent, variant) triples
 * in a seeded order, cycled with fresh speeds and pitches when more are asked
 * for than there are triples.
 */
export const utterances = (split: "training" | "heldOut", from: number, count: number): ReadonlyArray<Utterance> => {
  const variants = split === "training" ? RECIPE.trainingVariants : RECIPE.heldOutVariants
  const triples: Array<[number, string]> = []
  for (let w = 0; w < RECIPE.words.length; w++) for (const a of RECIPE.accents) for (const v of variants) triples.push([w, `${a}+${v}`])
  const order = seededPermutation(triples.length, RECIPE.seed + (split === "training" ? 0 : 1))
  return Array.from({ length: count }, (_, k) => {
    const i = from + k
    const [label, voice] = triples[order[i % triples.length]!]!
    const draw = seededRandom(RECIPE.seed * 31 + i * 2 + (split === "training" ? 0 : 1))
    const between = ([lo, hi]: readonly [number, number]) => lo + Math.floor(draw() * (hi - lo + 1))
    return { label, word: RECIPE.words[label]!, voice, speed: between(RECIPE.speed), pitch: between(RECIPE.pitch) }
  })
}

const cacheDir = () => process.env.SPOKEN_DIGITS_CACHE ?? join(process.cwd(), ".tools/spoken-digits")

/**
 * The 11,025 Hz PCM of an utterance: synthesised with espeak-ng once, then
 * read from the cache (.tools/spoken-digits, or SPOKEN_DIGITS_CACHE).
 */
export const synthesise = (u: Utterance): Int16Array => {
  const dir = cacheDir()
  const file = join(dir, `${u.word}_${u.voice}_${u.speed}_${u.pitch}.wav`)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    try {
      execFileSync("espeak-ng", ["-v", u.voice, "-s", String(u.speed), "-p", String(u.pitch), "-w", tmp, u.word], { stdio: ["ignore", "ignore", "pipe"] })
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === "ENOENT"
      throw new Error(missing ? "espeak-ng is not installed: run scripts/install.sh (it installs Debian's espeak-ng)" : `espeak-ng failed for ${u.voice} "${u.word}": ${String((e as { stderr?: unknown }).stderr ?? e)}`)
    }
    renameSync(tmp, file)
  }
  const { rate, pcm } = readWav(readFileSync(file))
  if (rate === RECIPE.sampleRate) return pcm
  if (rate === 2 * RECIPE.sampleRate) return halveRate(pcm)
  throw new Error(`espeak-ng wrote ${rate} Hz, the recipe expects ${2 * RECIPE.sampleRate}`)
}

/**
 * Shard format `speech-pcm16-jsonl`: one JSON object per line,
 * {label, word, voice, speed, pitch, rate, pcm} with `pcm` the base64 of
 * little-endian 16-bit mono samples at `rate` Hz.
 */
export const encodeUtterances = (items: ReadonlyArray<Utterance>): Uint8Array =>
  new TextEncoder().encode(
    items
      .map((u) => {
        const pcm = synthesise(u)
        const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)
        return canonicalJson({ ...u, rate: RECIPE.sampleRate, pcm: bytes.toString("base64") })
      })
      .join("\n") + "\n"
  )

export interface SpokenSample {
  readonly label: number
  readonly rate: number
  readonly pcm: Int16Array
}

export const readUtterances = (bytes: Uint8Array): ReadonlyArray<SpokenSample> => {
  const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l.length > 0)
  if (lines.length === 0) throw new Error("speech-pcm16-jsonl shard: no utterances")
  return lines.map((line, i) => {
    let o: { label?: unknown; rate?: unknown; pcm?: unknown }
    try {
      o = JSON.parse(line)
    } catch {
      throw new Error(`speech-pcm16-jsonl shard: line ${i + 1} is not JSON`)
    }
    if (typeof o.label !== "number" || !Number.isInteger(o.label) || o.label < 0 || o.label >= RECIPE.words.length) throw new Error(`speech-pcm16-jsonl shard: line ${i + 1} has no label 0..9`)
    if (o.rate !== RECIPE.sampleRate) throw new Error(`speech-pcm16-jsonl shard: line ${i + 1} is not ${RECIPE.sampleRate} Hz`)
    if (typeof o.pcm !== "string") throw new Error(`speech-pcm16-jsonl shard: line ${i + 1} has no pcm`)
    const raw = Buffer.from(o.pcm, "base64")
    const pcm = new Int16Array(Math.floor(raw.length / 2))
    for (let s = 0; s < pcm.length; s++) pcm[s] = raw.readInt16LE(2 * s)
    return { label: o.label, rate: o.rate, pcm }
  })
}

/** The recipe as recorded with the datasets (canonical JSON, so it hashes the same everywhere). */
export const recipeRecord = (split: "training" | "heldOut") => canonicalJson({ ...RECIPE, split })

