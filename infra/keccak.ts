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
const utf8 = (text: string): Uint8Array => {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(text.length * 3, scratch.length * 2))
  const { written } = encoder.encodeInto(text, scratch)
  return scratch.subarray(0, written)
}

export const keccak256Hex = (input: string | Uint8Array): `0x${string}` => {
  hasher.init()
  hasher.update(typeof input === "string" ? utf8(input) : input)
  return `0x${hasher.digest("hex")}`
}
