import { createKeccak } from "hash-wasm"

/**
 * keccak256 (Ethereum's, not NIST SHA3-256) for the event hash chain.
 * WASM (hash-wasm) because it is ~8x faster than pure JS on our envelope sizes
 * and hashing sits on every append and every audit. The result is checked
 * against @noble/hashes (what viem uses) in tests/unit/keccak.spec.ts.
 */
const hasher = await createKeccak(256)
const encoder = new TextEncoder()

export const keccak256Hex = (input: string | Uint8Array): `0x${string}` => {
  hasher.init()
  hasher.update(typeof input === "string" ? encoder.encode(input) : input)
  return `0x${hasher.digest("hex")}`
}
