import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { seededPermutation } from "../../infra/ml/model"
import type { Samples } from "../kit/samples"
import { hashedWordIds } from "../kit/tokens"

/**
 * Emoji images and their words, from npm `emoji-datasource-google` (data MIT,
 * Google's Noto emoji images Apache-2.0): 1,911 emoji with 64×64 PNGs, each
 * with a name, short names, category and subcategory. The data provider
 * decodes each PNG (pngjs), composes it on white and averages 4×4 blocks
 * into 16×16 RGB, so shards carry small pixels, not PNGs.
 *
 * Shard format `emoji16-jsonl`: one JSON object per line,
 * {"text": "grinning face smile smileys emotion", "rgb": base64 of 16×16×3 bytes}.
 */
export const SIDE = 16
const RGB = SIDE * SIDE * 3

interface Entry {
  readonly name: string
  readonly short_names: ReadonlyArray<string>
  readonly category: string
  readonly subcategory: string
  readonly image: string
  readonly has_img_google: boolean
}

export interface Emoji {
  readonly text: string
  readonly rgb: Uint8Array
}

const require = createRequire(import.meta.url)

/** 64×64 RGBA on white, 4×4 block means: 16×16 RGB bytes. */
const shrink = (png: { width: number; height: number; data: Uint8Array }): Uint8Array => {
  const out = new Uint8Array(RGB)
  const block = png.width / SIDE
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0
        for (let dy = 0; dy < block; dy++)
          for (let dx = 0; dx < block; dx++) {
            const p = ((y * block + dy) * png.width + (x * block + dx)) * 4
            const alpha = png.data[p + 3]! / 255
            sum += png.data[p + c]! * alpha + 255 * (1 - alpha)
          }
        out[(y * SIDE + x) * 3 + c] = Math.round(sum / (block * block))
      }
  return out
}

let emoji: ReadonlyArray<Emoji> | undefined
/** Every emoji with a Google image, in a fixed seeded order (categories mixed), so a prefix is a fair sample. */
export const emojiSet = (): ReadonlyArray<Emoji> => {
  if (emoji) return emoji
  const entries = (require("emoji-datasource-google/emoji.json") as ReadonlyArray<Entry>).filter((e) => e.has_img_google)
  const dir = join(dirname(require.resolve("emoji-datasource-google/package.json")), "img", "google", "64")
  const { PNG } = require("pngjs") as { PNG: { sync: { read: (b: Buffer) => { width: number; height: number; data: Uint8Array } } } }
  const all = entries.map((e) => ({
    text: [e.name.toLowerCase(), ...e.short_names.map((s) => s.replace(/_/g, " ")), e.category.toLowerCase(), e.subcategory.replace(/-/g, " ")].join(" "),
    rgb: shrink(PNG.sync.read(readFileSync(join(dir, e.image))))
  }))
  emoji = Array.from(seededPermutation(all.length, 1911), (i) => all[i]!)
  return emoji
}

/** The first 1,500 emoji train; the rest (411) are held out. */
export const HELD_OUT_FROM = 1_500

export const encodeEmoji = (items: ReadonlyArray<Emoji>): Uint8Array =>
  new TextEncoder().encode(items.map((e) => `${JSON.stringify({ text: e.text, rgb: Buffer.from(e.rgb).toString("base64") })}\n`).join(""))

/** Samples: each row is 768 pixel values in [0, 1] then `textLen` hashed word ids; the target is the row's own index (unused). */
export const decodeEmoji = (bytes: Uint8Array, vocab: number, textLen: number): Samples => {
  const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l.length > 0)
  if (lines.length === 0) throw new Error("emoji16-jsonl shard: no items")
  const width = RGB + textLen
  const x = new Float32Array(lines.length * width)
  lines.forEach((line, i) => {
    let item: { text?: unknown; rgb?: unknown }
    try {
      item = JSON.parse(line) as typeof item
    } catch {
      throw new Error(`emoji16-jsonl shard: line ${i + 1} is not JSON`)
    }
    if (typeof item.text !== "string" || typeof item.rgb !== "string") throw new Error(`emoji16-jsonl shard: line ${i + 1} needs text and rgb`)
    const rgb = Buffer.from(item.rgb, "base64")
    if (rgb.length !== RGB) throw new Error(`emoji16-jsonl shard: line ${i + 1} has ${rgb.length} pixel bytes, expected ${RGB}`)
    for (let p = 0; p < RGB; p++) x[i * width + p] = rgb[p]! / 255
    x.set(hashedWordIds(item.text, vocab, textLen), i * width + RGB)
  })
  return { count: lines.length, x, xShape: [width], y: Int32Array.from({ length: lines.length }, (_, i) => i), yWidth: 1 }
}

export const PIXELS = RGB
