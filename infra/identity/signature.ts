import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"
import * as secp from "@noble/secp256k1"
import type { Address, PublicKey } from "../../domain/primitives"
import { canonicalJson } from "../canonicalJson"
import { keccak256Hex } from "../keccak"

/**
 * secp256k1 identities, Ethereum style: an address is the last 20 bytes of
 * keccak256 of the uncompressed public key, a signature is r‖s‖v (v = 27|28)
 * over a keccak256 digest (no sha256 prehash). Pure functions, used by the
 * API (verify), nodes and clients (sign) and the audit (re-verify).
 */

// noble v3 needs these for synchronous signing.
secp.hashes.sha256 = sha256
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message)

export type Hex = `0x${string}`

const strip = (hex: string) => (hex.startsWith("0x") ? hex.slice(2) : hex)

export const addressOfPublicKey = (publicKey: Uint8Array | string): Address => {
  const bytes = typeof publicKey === "string" ? hexToBytes(strip(publicKey)) : publicKey
  const uncompressed = secp.Point.fromBytes(bytes).toBytes(false)
  return `0x${keccak256Hex(uncompressed.slice(1)).slice(-40)}` as Address
}

export interface KeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: PublicKey
  readonly address: Address
}

export const keyPairFromSecret = (secretKey: Uint8Array | string): KeyPair => {
  const secret = typeof secretKey === "string" ? hexToBytes(strip(secretKey)) : secretKey
  const publicKey = secp.getPublicKey(secret, true)
  return { secretKey: secret, publicKey: `0x${bytesToHex(publicKey)}` as PublicKey, address: addressOfPublicKey(publicKey) }
}

export const generateKeyPair = (): KeyPair => keyPairFromSecret(secp.utils.randomSecretKey())

/** Sign a 32-byte digest; returns 0x r‖s‖v. */
export const signDigest = (digest: Hex, secretKey: Uint8Array): Hex => {
  const recovered = secp.sign(hexToBytes(strip(digest)), secretKey, { prehash: false, format: "recovered" })
  // noble puts the recovery byte first; Ethereum wants it last, as 27/28.
  const v = recovered[0]! + 27
  return `0x${bytesToHex(recovered.slice(1))}${v.toString(16).padStart(2, "0")}`
}

// Recovery costs ~2.5 ms in pure JS (the API's bottleneck); retried and
// replayed commands carry the same digest and signature, so remember recent
// ones. One cache, shared with the worker pool (recoverPool.ts).
const recovered = new Map<string, Address | undefined>()
const RECOVERED_MAX = 10_000

export const recoveredSigners = {
  has: (digest: Hex, signature: string) => recovered.has(`${digest}${signature}`),
  get: (digest: Hex, signature: string) => recovered.get(`${digest}${signature}`),
  set: (digest: Hex, signature: string, address: Address | undefined) => {
    if (recovered.size >= RECOVERED_MAX) recovered.delete(recovered.keys().next().value!)
    recovered.set(`${digest}${signature}`, address)
  }
}

/** The address that signed `digest`, or undefined when the signature is malformed or invalid. */
export const recoverSigner = (digest: Hex, signature: string): Address | undefined => {
  if (recoveredSigners.has(digest, signature)) return recoveredSigners.get(digest, signature)
  const address = recoverSignerUncached(digest, signature)
  recoveredSigners.set(digest, signature, address)
  return address
}

/** Recovery without the cache (the worker pool's twin is checked against it). */
export const recoverSignerUncached = (digest: Hex, signature: string): Address | undefined => {
  const hex = strip(signature)
  if (!/^[0-9a-f]{130}$/.test(hex)) return undefined
  const v = parseInt(hex.slice(128), 16)
  if (v !== 27 && v !== 28) return undefined
  try {
    const recovered = new Uint8Array(65)
    recovered[0] = v - 27
    recovered.set(hexToBytes(hex.slice(0, 128)), 1)
    const publicKey = secp.recoverPublicKey(recovered, hexToBytes(strip(digest)), { prehash: false })
    return addressOfPublicKey(publicKey)
  } catch {
    return undefined
  }
}

/**
 * What a signer commits to when issuing a command: its type, its id (the
 * nonce: retries reuse it, nothing else may), the time it was issued, the
 * signer's address and the command's encoded payload. Binding the type stops
 * a signature from being replayed as another command.
 */
export interface SignedCommandFields {
  readonly type: string
  readonly commandId: string
  readonly issuedAt: string
  readonly signer: string
  readonly payload: unknown
}

export const commandDigest = (fields: SignedCommandFields): Hex =>
  keccak256Hex(
    canonicalJson({
      type: fields.type,
      commandId: fields.commandId,
      issuedAt: fields.issuedAt,
      signer: fields.signer,
      payload: fields.payload
    })
  )

/** Build the signed HTTP body for a command (what clients and nodes send). */
export const signCommand = (
  key: KeyPair,
  type: string,
  payload: unknown,
  options: { commandId?: string; issuedAt?: string } = {}
): { commandId: string; issuedAt: string; signer: Address; payload: unknown; signature: Hex } => {
  const commandId = options.commandId ?? crypto.randomUUID()
  const issuedAt = options.issuedAt ?? new Date().toISOString()
  const digest = commandDigest({ type, commandId, issuedAt, signer: key.address, payload })
  return { commandId, issuedAt, signer: key.address, payload, signature: signDigest(digest, key.secretKey) }
}
