import { createRequire } from "node:module"

/**
 * libsecp256k1 through the `secp256k1` package's native binding (prebuilt
 * for linux-x64 inside the package: nothing is downloaded or compiled):
 * public-key recovery, signing and public keys. Measured here: ~22k
 * recoveries/s on one core against ~540/s for @noble/secp256k1, which made
 * recovery the API's bottleneck; a signature in ~42 µs against ~335 µs.
 * Undefined where the binding cannot load (another platform,
 * NEURA_NATIVE_SECP256K1=off): callers fall back to noble, and a unit spec
 * checks both give the same answer for the same input.
 */
type Binding = {
  ecdsaRecover: (signature: Uint8Array, recid: number, message: Uint8Array, compressed: boolean) => Uint8Array
  ecdsaSign: (message: Uint8Array, secretKey: Uint8Array) => { readonly signature: Uint8Array; readonly recid: number }
  publicKeyConvert: (publicKey: Uint8Array, compressed: boolean) => Uint8Array
  publicKeyCreate: (secretKey: Uint8Array, compressed: boolean) => Uint8Array
}

const load = (): Binding | undefined => {
  if (process.env.NEURA_NATIVE_SECP256K1 === "off") return undefined
  try {
    // `secp256k1/bindings` is the native module only (the package's index would fall back to JS silently).
    return createRequire(import.meta.url)("secp256k1/bindings") as Binding
  } catch {
    return undefined
  }
}

export const nativeSecp256k1 = load()

/** The uncompressed public key (65 bytes) that signed a 32-byte digest, or undefined when the signature does not recover. */
export const nativeRecover = (binding: Binding, signature64: Uint8Array, recoveryId: number, digest: Uint8Array): Uint8Array | undefined => {
  try {
    return binding.ecdsaRecover(signature64, recoveryId, digest, false)
  } catch {
    return undefined
  }
}

/**
 * A public key (33 or 65 bytes) as its uncompressed 65 bytes, or undefined
 * when it is not a point on the curve. Decompressing with noble cost ~0.15 ms
 * (a square root in JS) on every RegisterNode; libsecp256k1 takes microseconds.
 */
export const nativeUncompressed = (binding: Binding, publicKey: Uint8Array): Uint8Array | undefined => {
  try {
    return binding.publicKeyConvert(publicKey, false)
  } catch {
    return undefined
  }
}

/**
 * Sign a 32-byte digest (r‖s and the recovery id): libsecp256k1's default
 * nonce is RFC 6979's and its s is low, as noble's. Throws, as noble does,
 * when the secret is not one (not 32 bytes, 0 or ≥ n).
 */
export const nativeSign = (binding: Binding, digest: Uint8Array, secretKey: Uint8Array): { readonly signature: Uint8Array; readonly recid: number } =>
  binding.ecdsaSign(digest, secretKey)

/** The compressed public key (33 bytes) of a secret, or undefined when it is not a secret key. */
export const nativePublicKey = (binding: Binding, secretKey: Uint8Array): Uint8Array | undefined => {
  try {
    return binding.publicKeyCreate(secretKey, true)
  } catch {
    return undefined
  }
}
