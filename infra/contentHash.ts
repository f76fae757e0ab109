import { createHash } from "node:crypto"

/** A content address: SHA-256 of the bytes, 0x-prefixed lower-case hex (weights, shards, checkpoints). */
export const sha256Hex = (data: string | Uint8Array): `0x${string}` => `0x${createHash("sha256").update(data).digest("hex")}`
