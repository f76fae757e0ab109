import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes, randomUUID, scryptSync, timingSafeEqual } from "node:crypto"
import { scrypt as nobleScrypt } from "@noble/hashes/scrypt.js"
import { Schema } from "effect"
import { matching } from "../../domain/primitives"
import { keccak256Hex } from "../keccak"
import { keyPairFromSecret, type KeyPair } from "./signature"

/**
 * A node key at rest: Web3 Secret Storage v3, the keystore format Ethereum
 * wallets (geth, MetaMask exports) use, so a key made here opens there and
 * the other way round. The secret is AES-128-CTR encrypted under the first
 * half of a scrypt (or, reading, PBKDF2-SHA256) key derived from the
 * password; the MAC is keccak256(second half ‖ ciphertext), which is how a
 * wrong password is told apart from a corrupt file.
 */
const hex = Schema.String.pipe(Schema.check(matching(/^[0-9a-f]*$/, { description: "lowercase hex without 0x" })))
const Scrypt = Schema.Struct({ dklen: Schema.Number, n: Schema.Number, r: Schema.Number, p: Schema.Number, salt: hex })
const Pbkdf2 = Schema.Struct({ dklen: Schema.Number, c: Schema.Number, prf: Schema.Literal("hmac-sha256"), salt: hex })
export const Keystore = Schema.Struct({
  version: Schema.Literal(3),
  id: Schema.String,
  address: Schema.optional(Schema.String),
  crypto: Schema.Struct({
    cipher: Schema.Literal("aes-128-ctr"),
    cipherparams: Schema.Struct({ iv: hex }),
    ciphertext: hex,
    kdf: Schema.Literals(["scrypt", "pbkdf2"]),
    kdfparams: Schema.Union([Scrypt, Pbkdf2]),
    mac: hex
  })
})
export type Keystore = typeof Keystore.Type

export class KeystoreInvalid extends Error {}
export class WrongPassword extends Error {}

const derive = (password: string, kdf: Keystore["crypto"]["kdf"], params: Keystore["crypto"]["kdfparams"]): Buffer => {
  const salt = Buffer.from(params.salt, "hex")
  if (kdf === "scrypt" && "n" in params) {
    // OpenSSL (node:crypto, native and fast) enforces RFC 7914's N < 2^(16r); files written with
    // r = 1 and a large N (the definition's own test vector) are opened by @noble/hashes instead.
    if (params.n < 2 ** (16 * params.r)) {
      return scryptSync(password.normalize("NFKC"), salt, params.dklen, { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r + 64 * 1024 * 1024 })
    }
    return Buffer.from(nobleScrypt(password.normalize("NFKC"), salt, { N: params.n, r: params.r, p: params.p, dkLen: params.dklen }))
  }
  if (kdf === "pbkdf2" && "c" in params) return pbkdf2Sync(password.normalize("NFKC"), salt, params.c, params.dklen, "sha256")
  throw new KeystoreInvalid(`kdfparams do not fit kdf ${kdf}`)
}

const macOf = (derived: Buffer, ciphertext: Buffer) => keccak256Hex(Buffer.concat([derived.subarray(16, 32), ciphertext])).slice(2)

/** Encrypt a key under a password. scrypt N=2^18, r=8, p=1 by default (geth's "standard"); tests pass a lighter N. */
export const encryptKey = (key: KeyPair, password: string, options: { readonly n?: number } = {}): Keystore => {
  const kdfparams = { dklen: 32, n: options.n ?? 262_144, r: 8, p: 1, salt: randomBytes(32).toString("hex") }
  const derived = derive(password, "scrypt", kdfparams)
  const iv = randomBytes(16)
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(key.secretKey), cipher.final()])
  return {
    version: 3,
    id: randomUUID(),
    address: key.address.slice(2),
    crypto: { cipher: "aes-128-ctr", cipherparams: { iv: iv.toString("hex") }, ciphertext: ciphertext.toString("hex"), kdf: "scrypt", kdfparams, mac: macOf(derived, ciphertext) }
  }
}

/** The key a keystore file holds (any JSON value in, checked): KeystoreInvalid or WrongPassword otherwise. */
export const decryptKey = (file: unknown, password: string): KeyPair => {
  const decoded = Schema.decodeUnknownExit(Keystore)(file)
  if (decoded._tag === "Failure") throw new KeystoreInvalid(`not a Web3 Secret Storage v3 keystore: ${String(decoded.cause).split("\n")[0]}`)
  const { crypto } = decoded.value
  const derived = derive(password, crypto.kdf, crypto.kdfparams)
  const ciphertext = Buffer.from(crypto.ciphertext, "hex")
  const mac = Buffer.from(macOf(derived, ciphertext), "hex")
  const stored = Buffer.from(crypto.mac, "hex")
  if (stored.length !== mac.length || !timingSafeEqual(stored, mac)) throw new WrongPassword("wrong password (the keystore's MAC does not match)")
  const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), Buffer.from(crypto.cipherparams.iv, "hex"))
  return keyPairFromSecret(new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()])))
}
