import { describe, expect, it } from "vitest"
import { decryptKey, encryptKey, KeystoreInvalid, WrongPassword } from "../../infra/identity/keystore"
import { keyPairFromSecret } from "../../infra/identity/signature"

/** The published test vectors of the Web3 Secret Storage definition (password "testpassword"). */
const SECRET = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
const pbkdf2Vector = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: { c: 262144, dklen: 32, prf: "hmac-sha256", salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd" },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3
}
const scryptVector = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: { dklen: 32, n: 262144, r: 1, p: 8, salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19" },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3
}

describe("Web3 Secret Storage v3 keystores", () => {
  it("opens the definition's PBKDF2 and scrypt test vectors to their key", () => {
    const expected = keyPairFromSecret(SECRET).address
    expect(decryptKey(pbkdf2Vector, "testpassword").address).toBe(expected)
    expect(decryptKey(scryptVector, "testpassword").address).toBe(expected)
  })
  it("a wrong password is told apart from a file that is not a keystore", () => {
    expect(() => decryptKey(pbkdf2Vector, "nope")).toThrow(WrongPassword)
    expect(() => decryptKey({ version: 3, crypto: {} }, "testpassword")).toThrow(KeystoreInvalid)
    expect(() => decryptKey({ ...pbkdf2Vector, crypto: { ...pbkdf2Vector.crypto, mac: "00".repeat(32) } }, "testpassword")).toThrow(WrongPassword)
  })
  it("round-trips a key it encrypts, naming its address, fresh salt and iv each time", () => {
    const key = keyPairFromSecret(SECRET)
    const a = encryptKey(key, "pw", { n: 1024 })
    const b = encryptKey(key, "pw", { n: 1024 })
    expect(a.address).toBe(key.address.slice(2))
    expect(a.crypto.ciphertext).not.toBe(b.crypto.ciphertext)
    expect(decryptKey(JSON.parse(JSON.stringify(a)), "pw").address).toBe(key.address)
    expect(() => decryptKey(a, "PW")).toThrow(WrongPassword)
  })
})
