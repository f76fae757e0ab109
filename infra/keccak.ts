import { createKeccak } from "hash-wasm"

/**
 * keccak256 (Ethereum's, not NIST SHA3-256) for the event hash chain.
 * WASM (hash-wasm) because it is ~8x faster than pure JS on our envelope sizes
 * and hashing sits on every append and every audit. The result is checked
 * against @noble/hashes (what viem uses) in tests/unit/keccak.spec.ts.
 */
const hasher = await createKeccak(256)
const encoder = new TextEncoder()

/**
 * Strings are written into one reusable buffer (`encodeInto`), not a new
 * array per hash: the chain hashes every envelope, and that array was most
 * of what hashing allocated per append. The hasher copies the bytes into
 * its own memory before `update` returns, so the buffer is free again.
 */
let scratch = new Uint8Array(4096)
/** The reusable buffer, grown to hold at least `bytes`. */
const scratchFor = (bytes: number): Uint8Array => {
  if (bytes > scratch.length) scratch = new Uint8Array(Math.max(bytes, scratch.length * 2))
  return scratch
}
const utf8 = (text: string): Uint8Array => {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const buffer = scratchFor(text.length * 3)
  const { written } = encoder.encodeInto(text, buffer)
  return buffer.subarray(0, written)
}

export const keccak256Hex = (input: string | Uint8Array): `0x${string}` => {
  hasher.init()
  hasher.update(typeof input === "string" ? utf8(input) : input)
  return `0x${hasher.digest("hex")}`
}

const hexValue = (code: number): number => (code >= 0x30 && code <= 0x39 ? code - 0x30 : code >= 0x61 && code <= 0x66 ? code - 0x57 : -1)

/**
 * Whether keccak256 of `parts`, one after another, is `hash` ("0x" + 64
 * lower-case hex digits, as the chain writes them). The parts are hashed
 * where they lie and the digest compared as bytes: a verifier of stored
 * events (storedText.ts) checks hundreds of thousands, and building each
 * input and each digest's hex text was most of that work.
 */
export const keccak256Matches = (parts: ReadonlyArray<Uint8Array>, hash: string): boolean => {
  if (hash.length !== 66 || hash.charCodeAt(0) !== 0x30 || hash.charCodeAt(1) !== 0x78) return false
  // One update of the parts copied side by side: each update call costs more than copying a few hundred bytes.
  const buffer = scratchFor(parts.reduce((n, part) => n + part.length, 0))
  let length = 0
  for (const part of parts) {
    buffer.set(part, length)
    length += part.length
  }
  hasher.init()
  hasher.update(buffer.subarray(0, length))
  const digest = hasher.digest("binary")
  for (let i = 0; i < 32; i++) {
    const high = hexValue(hash.charCodeAt(2 + 2 * i))
    const low = hexValue(hash.charCodeAt(3 + 2 * i))
    if (high < 0 || low < 0 || digest[i] !== ((high << 4) | low)) return false
  }
  return true
}
