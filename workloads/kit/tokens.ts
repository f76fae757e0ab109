/**
 * Tokenizers that are part of a workload, so every node turns the same bytes
 * into the same ids with no vocabulary file to distribute or trust.
 */

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** Id 0 pads a short text; words hash into 1..vocab-1 (the hashing trick: collisions are rare and harmless). */
export const PAD = 0

/** Lower-cased words, numbers and the punctuation spam leans on ($, !). */
export const words = (text: string): Array<string> => text.toLowerCase().match(/[a-z0-9$!]+(?:'[a-z]+)?/g) ?? []

/** The first `length` word ids of a text, padded with PAD. */
export const hashedWordIds = (text: string, vocab: number, length: number): Float32Array => {
  const ids = new Float32Array(length)
  const w = words(text)
  for (let i = 0; i < Math.min(length, w.length); i++) ids[i] = 1 + (fnv1a(w[i]!) % (vocab - 1))
  return ids
}

/**
 * A fixed character alphabet for generative text: id 0 is any character
 * outside it, 1 is a newline, 2..96 the printable ASCII range ' '..'~'.
 */
export const CHAR_VOCAB = 97
export const charId = (c: number): number => (c === 10 ? 1 : c >= 32 && c <= 126 ? c - 30 : 0)
export const charOf = (id: number): string => (id === 1 ? "\n" : id >= 2 && id < CHAR_VOCAB ? String.fromCharCode(id + 30) : "�")

/** Typographic quotes and dashes as their ASCII look-alikes, so old prose stays inside the alphabet. */
export const asciiFold = (text: string): string =>
  text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/\r\n?/g, "\n")

export const charIds = (text: string): Int32Array => {
  const folded = asciiFold(text)
  const out = new Int32Array(folded.length)
  for (let i = 0; i < folded.length; i++) out[i] = charId(folded.charCodeAt(i))
  return out
}
