import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"
import * as secp from "@noble/secp256k1"
import type { Address, PublicKey } from "../../domain/primitives"
import { canonicalJson } from "../canonicalJson"
import { keccak256Hex } from "../keccak"
import { RecentMap } from "../recentMap"
import { nativePublicKey, nativeRecover, nativeSecp256k1, nativeSign, nativeUncompressed } from "./nativeSecp256k1"

/**
 * secp256k1 identities, Ethereum style: an address is the last 20 bytes of
 * keccak256 of the uncompressed public key, a signature is r‖s‖v (v = 27|28,
 * low s) over a keccak256 digest (no sha256 prehash). Commands are signed the
 * way wallets sign messages: EIP-191 `personal_sign` over RFC 8785 JSON. Pure functions, used by the
 * API (verify), nodes and clients (sign) and the audit (re-verify).
 */

// noble v3 needs these for synchronous signing.
secp.hashes.sha256 = sha256
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message)

export type Hex = `0x${string}`

const strip = (hex: string) => (hex.startsWith("0x") ? hex.slice(2) : hex)

/** The uncompressed point of a public key; throws when it is not a valid point (both paths: noble's check, or libsecp256k1's). */
export const uncompress = (bytes: Uint8Array): Uint8Array => {
  if (!nativeSecp256k1) return secp.Point.fromBytes(bytes).toBytes(false)
  const out = nativeUncompressed(nativeSecp256k1, bytes)
  if (!out) throw new Error(`not a secp256k1 public key (${bytes.length} bytes)`)
  return out
}

export const addressOfPublicKey = (publicKey: Uint8Array | string): Address => {
  const bytes = typeof publicKey === "string" ? hexToBytes(strip(publicKey)) : publicKey
  const uncompressed = uncompress(bytes)
  return `0x${keccak256Hex(uncompressed.slice(1)).slice(-40)}` as Address
}

export interface KeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: PublicKey
  readonly address: Address
}

/** The compressed public key of a secret with @noble/secp256k1 (the fallback; a unit spec checks both paths agree). */
export const publicKeyWithNoble = (secret: Uint8Array): Uint8Array => secp.getPublicKey(secret, true)

/** The compressed public key of a secret; throws when the secret is not a key (0, ≥ n, not 32 bytes), as noble does. */
const publicKeyOf = (secret: Uint8Array): Uint8Array => {
  if (!nativeSecp256k1) return publicKeyWithNoble(secret)
  const publicKey = nativePublicKey(nativeSecp256k1, secret)
  if (!publicKey) throw new Error("not a secp256k1 secret key (32 bytes, 0 < k < n)")
  return publicKey
}

export const keyPairFromSecret = (secretKey: Uint8Array | string): KeyPair => {
  const secret = typeof secretKey === "string" ? hexToBytes(strip(secretKey)) : secretKey
  const publicKey = publicKeyOf(secret)
  return { secretKey: secret, publicKey: `0x${bytesToHex(publicKey)}` as PublicKey, address: addressOfPublicKey(publicKey) }
}

export const generateKeyPair = (): KeyPair => keyPairFromSecret(secp.utils.randomSecretKey())

/** Half the secp256k1 group order: an `s` above it is the malleable twin of a valid signature. */
export const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** The secp256k1 group order: r and s must lie in [1, n − 1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** Sign a 32-byte digest with @noble/secp256k1 (the fallback); returns 0x r‖s‖v. */
export const signWithNoble = (digest: Hex, secretKey: Uint8Array): Hex => {
  const recovered = secp.sign(hexToBytes(strip(digest)), secretKey, { prehash: false, format: "recovered" })
  // noble puts the recovery byte first; Ethereum wants it last, as 27/28.
  const v = recovered[0]! + 27
  return `0x${bytesToHex(recovered.slice(1))}${v.toString(16).padStart(2, "0")}`
}

/**
 * Sign a 32-byte digest; returns 0x r‖s‖v (low s, RFC 6979 nonce). Native
 * where the binding loads: ~42 µs against noble's ~335 µs, and every node
 * signs each of its commands on its event loop (a local network's nodes
 * share one). Both derive the nonce by RFC 6979 and normalise s, so they
 * give the same bytes (unit spec).
 */
export const signDigest = (digest: Hex, secretKey: Uint8Array): Hex => {
  const bytes = hexToBytes(strip(digest))
  // Noble answers what libsecp256k1 would sign differently: a digest ≥ n (about 2^-128 of
  // keccak outputs), which noble reduces mod n before deriving the nonce (RFC 6979's
  // bits2octets) and this libsecp256k1 does not, and a digest of another length. Both
  // signatures would be valid; one signer keeps the bytes one answer.
  if (!nativeSecp256k1 || bytes.length !== 32 || BigInt(digest) >= SECP256K1_N) return signWithNoble(digest, secretKey)
  const { signature, recid } = nativeSign(nativeSecp256k1, bytes, secretKey)
  return `0x${bytesToHex(signature)}${(recid + 27).toString(16)}`
}

// Recovery costs ~45 µs natively and ~2.5 ms in pure JS; retried and
// replayed commands carry the same digest and signature, so remember recent
// ones. One cache, shared with the worker pool (recoverPool.ts).
const recovered = new RecentMap<string, Address | undefined>(10_000)

export const recoveredSigners = {
  has: (digest: Hex, signature: string) => recovered.has(`${digest}${signature}`),
  get: (digest: Hex, signature: string) => recovered.get(`${digest}${signature}`),
  set: (digest: Hex, signature: string, address: Address | undefined) => void recovered.set(`${digest}${signature}`, address)
}

/** The address that signed `digest`, or undefined when the signature is malformed, invalid or high-s. */
export const recoverSigner = (digest: Hex, signature: string): Address | undefined => {
  if (recoveredSigners.has(digest, signature)) return recoveredSigners.get(digest, signature)
  const address = recoverSignerUncached(digest, signature)
  recoveredSigners.set(digest, signature, address)
  return address
}

/** A signature's parts once its form is right (65 bytes, v 27|28, 0 < r < n, 0 < s ≤ n/2), or undefined. */
const parts = (digest: Hex, signature: string) => {
  const hex = strip(signature)
  const digestHex = strip(digest)
  if (!/^[0-9a-f]{130}$/.test(hex) || !/^[0-9a-fA-F]{64}$/.test(digestHex)) return undefined
  const v = parseInt(hex.slice(128), 16)
  if (v !== 27 && v !== 28) return undefined
  const r = BigInt(`0x${hex.slice(0, 64)}`)
  const s = BigInt(`0x${hex.slice(64, 128)}`)
  // Low-s only (EIP-2, as Ethereum does): otherwise (r, n − s) is a second
  // valid signature of the same command, and a "different" signature could
  // be stored for the same intent.
  if (r === 0n || r >= SECP256K1_N || s === 0n || s > SECP256K1_HALF_N) return undefined
  return { rs: hexToBytes(hex.slice(0, 128)), recoveryId: v - 27, digest: hexToBytes(digestHex) }
}

const addressOfUncompressed = (publicKey: Uint8Array): Address => `0x${keccak256Hex(publicKey.slice(1)).slice(-40)}` as Address

/** Recovery with @noble/secp256k1 (pure JS): the fallback where the native binding cannot load. */
export const recoverWithNoble = (digest: Hex, signature: string): Address | undefined => {
  const p = parts(digest, signature)
  if (!p) return undefined
  try {
    const recovered = new Uint8Array(65)
    recovered[0] = p.recoveryId
    recovered.set(p.rs, 1)
    return addressOfPublicKey(secp.recoverPublicKey(recovered, p.digest, { prehash: false }))
  } catch {
    return undefined
  }
}

/** Recovery with libsecp256k1 (native, ~40x faster); undefined binding → noble. */
export const recoverWithNative = (digest: Hex, signature: string): Address | undefined => {
  if (!nativeSecp256k1) return recoverWithNoble(digest, signature)
  const p = parts(digest, signature)
  if (!p) return undefined
  const publicKey = nativeRecover(nativeSecp256k1, p.rs, p.recoveryId, p.digest)
  return publicKey ? addressOfUncompressed(publicKey) : undefined
}

/** Recovery without the cache (the worker pool's twin is checked against it). */
export const recoverSignerUncached = recoverWithNative

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

/**
 * The signing domain: binds a signature to this network (name, version) and
 * to one chain id, so a command signed for a testnet is not valid on another
 * deployment. Served by the API at `GET /signing`.
 */
export interface SigningDomain {
  readonly name: string
  readonly version: string
  readonly chainId: number
}
export const DEFAULT_CHAIN_ID = 31337
export const signingDomain = (chainId: number = DEFAULT_CHAIN_ID): SigningDomain => ({ name: "NeuraLink", version: "1", chainId })

/**
 * The exact text a wallet signs: RFC 8785 (JCS) canonical JSON of
 * `{ domain, type, commandId, issuedAt, signer, payload }`.
 */
export const commandMessage = (fields: SignedCommandFields, domain: SigningDomain = signingDomain()): string =>
  canonicalJson({
    domain: { name: domain.name, version: domain.version, chainId: domain.chainId },
    type: fields.type,
    commandId: fields.commandId,
    issuedAt: fields.issuedAt,
    signer: fields.signer,
    payload: fields.payload
  })

/** EIP-191 version 0x45 (`personal_sign`): keccak256("\x19Ethereum Signed Message:\n" + byte length + message). */
export const personalMessageDigest = (message: string): Hex =>
  // One string hashed as its UTF-8 (keccak256Hex encodes into a reused buffer): the same bytes
  // as the prefix's and the message's encodings side by side, without allocating either.
  keccak256Hex(`\x19Ethereum Signed Message:\n${Buffer.byteLength(message, "utf8")}${message}`)

/** The digest a command's signature is checked against (what `personal_sign` of `commandMessage` signs). */
export const commandDigest = (fields: SignedCommandFields, domain: SigningDomain = signingDomain()): Hex =>
  personalMessageDigest(commandMessage(fields, domain))

/**
 * The digest of the first, pre-wallet scheme (a raw keccak256 of the canonical
 * JSON without a domain). Only the audit uses it, to re-verify events stored
 * before the switch (their metadata carries no `scheme`).
 */
export const legacyCommandDigest = (fields: SignedCommandFields): Hex =>
  keccak256Hex(canonicalJson({ type: fields.type, commandId: fields.commandId, issuedAt: fields.issuedAt, signer: fields.signer, payload: fields.payload }))

/** The name of the signing scheme recorded with every signed command (metadata.command.scheme). */
export const SIGNING_SCHEME = "eip191-jcs-v1"

/** Build the signed HTTP body for a command (what clients and nodes send). */
export const signCommand = (
  key: KeyPair,
  type: string,
  payload: unknown,
  options: { commandId?: string; issuedAt?: string; chainId?: number } = {}
): { commandId: string; issuedAt: string; signer: Address; payload: unknown; signature: Hex } => {
  const commandId = options.commandId ?? crypto.randomUUID()
  const issuedAt = options.issuedAt ?? new Date().toISOString()
  const digest = commandDigest({ type, commandId, issuedAt, signer: key.address, payload }, signingDomain(options.chainId))
  return { commandId, issuedAt, signer: key.address, payload, signature: signDigest(digest, key.secretKey) }
}
