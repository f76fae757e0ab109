import { privateKeyToAccount } from "viem/accounts"
import { bytesToHex } from "@noble/hashes/utils.js"
import { hashMessage } from "viem"
import { describe, expect, it } from "vitest"
import { canonicalJson, NonCanonicalValue } from "../../infra/canonicalJson"
import { recoverSignerAsync, stopRecoverPool } from "../../infra/identity/recoverPool"
import {
  commandDigest,
  commandMessage,
  personalMessageDigest,
  recoverSignerUncached,
  recoverWithNative,
  recoverWithNoble,
  keyPairFromSecret,
  publicKeyWithNoble,
  signDigest,
  signWithNoble,
  type Hex,
  SECP256K1_HALF_N,
  signCommand,
  signingDomain,
  uncompress
} from "../../infra/identity/signature"
import * as noble from "@noble/secp256k1"
import { devKey } from "../../infra/identity/devKeys"
import { nativeSecp256k1 } from "../../infra/identity/nativeSecp256k1"
import { keccak256Hex } from "../../infra/keccak"
import { apiHarness } from "../support/apiHarness"

const N = SECP256K1_HALF_N * 2n + 1n
/** The malleable twin of a signature: (r, n − s, v flipped). Recovers to the same key under plain ECDSA. */
const highS = (signature: string): string => {
  const hex = signature.slice(2)
  const s = BigInt(`0x${hex.slice(64, 128)}`)
  const v = parseInt(hex.slice(128), 16)
  return `0x${hex.slice(0, 64)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`
}

describe("RFC 8785 (JCS) canonical JSON: the RFC's own vectors", () => {
  it("section 3.2.2: numbers, strings and literals", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}'
    )
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
  })
  it("section 3.2.3: keys sorted by UTF-16 code units", () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}'
    )
    const keys = [...canonicalJson(input).matchAll(/"([^"]*)":"([^"]*)"/g)].map((m) => m[2])
    expect(keys).toEqual(["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"])
  })
  it("appendix B: IEEE 754 numbers in ECMAScript form", () => {
    const cases: ReadonlyArray<[number, string]> = [
      [0, "0"],
      [-0, "0"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [9007199254740992, "9007199254740992"],
      [295147905179352830000, "295147905179352830000"],
      [1e23, "1e+23"],
      [0.000001, "0.000001"],
      [9.999999999999997e-7, "9.999999999999997e-7"],
      [1e-7, "1e-7"]
    ]
    for (const [value, text] of cases) expect(canonicalJson(value)).toBe(text)
  })
  it("refuses what is not a JSON value, naming where it is (never drops it silently)", () => {
    const refused: ReadonlyArray<[unknown, string]> = [
      [{ a: { b: [1, Number.NaN] } }, "$.a.b[1]: non-finite number"],
      [{ amount: 10n }, "$.amount: bigint is not a JSON value"],
      [[1, undefined], "$[1]: undefined is not a JSON value"],
      [{ when: new Date(0) }, "$.when: not a plain object (Date)"],
      [{ f: () => 1 }, "$.f: function is not a JSON value"],
      [Number.POSITIVE_INFINITY, "$: non-finite number"]
    ]
    for (const [value, message] of refused) {
      const error = (() => {
        try {
          canonicalJson(value)
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(NonCanonicalValue)
      expect((error as Error).message).toBe(message)
    }
    // An absent optional field and an explicit undefined are the same value.
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}')
    expect(canonicalJson(Object.assign(Object.create(null), { z: [true, null, "x"], y: {} }))).toBe('{"y":{},"z":[true,null,"x"]}')
  })
  it("gives every recorded envelope's exact JSON.stringify-sorted bytes (a nested, realistic value)", () => {
    const sortDeep = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortDeep) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])])) : v
    const envelope = {
      type: "ResultSubmitted",
      stream: "task-T1",
      globalPosition: 12,
      data: { _tag: "ResultSubmitted", proof: { checkpoints: { states: [{ weights: "0xab", optimizer: "0xcd" }], interval: 4 }, metrics: { loss: 0.25, accuracy: 0.9375 } }, shardIds: ["s1", "s2"] },
      metadata: { commandId: "c-1", command: { payload: { nested: [{ b: 2, a: [1.5, -0, 1e21] }] } } },
      unicode: "é\u2028\"quoted\""
    }
    expect(canonicalJson(envelope)).toBe(JSON.stringify(sortDeep(envelope)))
  })
  it("orders any keys as Array.prototype.sort does (random objects: digits, surrogates, shared prefixes, many keys)", () => {
    // The reference writes with the built-in sort. (An object rebuilt in
    // sorted order would not do: JSON.stringify puts integer-like keys such
    // as "10" and "2" first, in numeric order, whatever the insertion order.)
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(",")}]`
        : v !== null && typeof v === "object"
          ? `{${Object.keys(v)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`)
              .join(",")}}`
          : JSON.stringify(v)
    // A seeded generator, so a failure names an input that can be replayed.
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const pieces = ["a", "b", "A", "_", "1", "10", "2", "é", "😀", "\ufb33", "\u0080", "ab", "a b", "\uffff", ""]
    const key = () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => pieces[Math.floor(random() * pieces.length)]).join("")
    const value = (depth: number): unknown => {
      const r = random()
      if (depth > 2 || r < 0.4) return r < 0.2 ? Math.floor(random() * 100) : key()
      if (r < 0.55) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1))
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 30) }, () => [key(), value(depth + 1)]))
    }
    for (let i = 0; i < 300; i++) {
      const v = value(0)
      expect(canonicalJson(v), `input #${i}`).toBe(reference(v))
    }
    // Keys are kept quoted, up to a bound: past it (keys with quotes, escapes and
    // surrogates among them), and written a second time, the text is the same.
    const many = Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => [`${pieces[i % pieces.length]}"\\\n${i}\ud800`, i]))
    expect(canonicalJson(many)).toBe(reference(many))
    expect(canonicalJson(many)).toBe(reference(many))
  })
})

describe("wallet-signable commands: EIP-191 personal_sign over the JCS text", () => {
  const key = devKey("alice")
  const fields = { type: "RegisterNode", commandId: "c-1", issuedAt: "2026-11-25T10:00:00.000Z", signer: key.address, payload: { nodeId: "n1", x: [1, "ü"] } }

  it("the digest is EIP-191's, as viem computes it", () => {
    const message = commandMessage(fields)
    expect(message.startsWith('{"commandId":"c-1","domain":{"chainId":31337,"name":"NeuraLink","version":"1"},')).toBe(true)
    expect(personalMessageDigest(message)).toBe(hashMessage(message))
    expect(commandDigest(fields)).toBe(hashMessage(message))
    // The length in the prefix counts UTF-8 bytes, whatever the text holds.
    for (const text of ["", "plain", "é€😀", "lone \ud800 surrogate", "ü".repeat(5000)]) expect(personalMessageDigest(text)).toBe(hashMessage(text))
  })

  it("our signer and viem's account.signMessage agree byte for byte", async () => {
    const account = privateKeyToAccount(`0x${bytesToHex(key.secretKey)}`)
    const viaViem = await account.signMessage({ message: commandMessage(fields) })
    const ours = signCommand(key, fields.type, fields.payload, { commandId: fields.commandId, issuedAt: fields.issuedAt })
    expect(ours.signature).toBe(viaViem)
  })

  it("another chain id is another domain: the signature does not carry over", () => {
    const signed = signCommand(key, fields.type, fields.payload, { commandId: "c", issuedAt: fields.issuedAt, chainId: 1 })
    const digest31337 = commandDigest({ ...fields, commandId: "c" })
    expect(recoverSignerUncached(digest31337, signed.signature)).not.toBe(key.address)
    expect(recoverSignerUncached(commandDigest({ ...fields, commandId: "c" }, signingDomain(1)), signed.signature)).toBe(key.address)
  })

  it("a high-s (malleable) signature recovers to nobody, in-process and in the worker pool", async () => {
    const signed = signCommand(key, fields.type, fields.payload, { commandId: fields.commandId, issuedAt: fields.issuedAt })
    const digest = commandDigest(fields)
    expect(recoverSignerUncached(digest, signed.signature)).toBe(key.address)
    const twin = highS(signed.signature)
    expect(recoverSignerUncached(digest, twin)).toBeUndefined()
    expect(await recoverSignerAsync(digest, twin)).toBeUndefined()
    await stopRecoverPool()
  })
})

describe("the API accepts wallet signatures and refuses malleable ones", () => {
  const key = devKey("wallet-user")
  const account = privateKeyToAccount(`0x${bytesToHex(key.secretKey)}`)
  const payload = { nodeId: "w1", publicKey: key.publicKey, roles: ["trainer"], capabilities: ["ü-cap", "x"] }

  it("a command signed by viem's account.signMessage is accepted (201)", async () => {
    await using api = await apiHarness()
    const issuedAt = new Date().toISOString()
    const message = commandMessage({ type: "RegisterNode", commandId: "viem-1", issuedAt, signer: account.address.toLowerCase(), payload })
    const signature = await account.signMessage({ message })
    const r = await api.app.inject({
      method: "POST",
      url: "/commands/RegisterNode",
      payload: { commandId: "viem-1", issuedAt, signer: account.address.toLowerCase(), payload, signature }
    })
    expect(r.statusCode).toBe(201)
    expect(r.json().results[0].events[0].metadata.command).toMatchObject({ scheme: "eip191-jcs-v1", chainId: 31337 })
  })

  it("the same values serialised the Python way (\\u00fc escapes, 1e-07) verify: the signature is over values, not bytes", async () => {
    await using api = await apiHarness()
    const issuedAt = new Date().toISOString()
    const p = { nodeId: "py1", publicKey: key.publicKey, roles: ["trainer"], capabilities: ["ü"], }
    const signed = signCommand(key, "RegisterNode", p, { commandId: "py-1", issuedAt })
    // What Python's json.dumps(ensure_ascii=True, separators=(", ", ": ")) sends.
    const pythonText = JSON.stringify(signed).replace(/ü/g, "\\u00fc").replace(/,"/g, ', "').replace(/":/g, '": ')
    expect(pythonText).toContain("\\u00fc")
    const r = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", headers: { "content-type": "application/json" }, payload: pythonText })
    expect(r.statusCode).toBe(201)
  })

  it("the high-s twin of a valid signature is refused with 401 and appends nothing", async () => {
    await using api = await apiHarness()
    const body = signCommand(key, "RegisterNode", payload, { commandId: "hs-1" })
    const before = (await api.client.get("/health")).headPosition
    const r = await api.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: { ...body, signature: highS(body.signature) } })
    expect(r.statusCode).toBe(401)
    expect(r.json().code).toBe("InvalidSignature")
    expect((await api.client.get("/health")).headPosition).toBe(before)
  })
})

describe("signature recovery: native libsecp256k1 and noble agree", () => {
  const digestOf = (i: number) => keccak256Hex(`message ${i}`) as Hex
  const flipS = (signature: string) => {
    const s = BigInt(`0x${signature.slice(66, 130)}`)
    const high = (0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - s).toString(16).padStart(64, "0")
    const v = parseInt(signature.slice(130), 16) === 27 ? "1c" : "1b"
    return `${signature.slice(0, 66)}${high}${v}`
  }

  it("the native binding loads here (the package ships linux-x64 prebuilds)", () => expect(nativeSecp256k1).toBeDefined())

  it("gives the same signer for the same inputs: valid, wrong v, wrong digest, high s, zero or out-of-range r and s, malformed", () => {
    const cases: Array<[Hex, string]> = []
    for (let i = 0; i < 40; i++) {
      const key = devKey(`recovery-${i}`)
      const digest = digestOf(i)
      const signature = signDigest(digest, key.secretKey)
      cases.push(
        [digest, signature],
        [digestOf(i + 1000), signature],
        [digest, `${signature.slice(0, 130)}${signature.endsWith("1b") ? "1c" : "1b"}`],
        [digest, flipS(signature)],
        [digest, `0x${"00".repeat(32)}${signature.slice(66)}`],
        [digest, `${signature.slice(0, 66)}${"00".repeat(32)}${signature.slice(130)}`],
        [digest, `0x${"ff".repeat(32)}${signature.slice(66)}`],
        [digest, signature.slice(0, 100)],
        [`0x1234` as Hex, signature]
      )
    }
    let valid = 0
    for (const [digest, signature] of cases) {
      const native = recoverWithNative(digest, signature)
      expect(native, `${digest} ${signature}`).toBe(recoverWithNoble(digest, signature))
      if (native) valid++
    }
    // Each valid signature recovers its signer; the high-s twin and the garbage do not.
    expect(valid).toBeGreaterThanOrEqual(40)
    const key = devKey("recovery-0")
    expect(recoverWithNative(digestOf(0), signDigest(digestOf(0), key.secretKey))).toBe(key.address)
    expect(recoverWithNative(digestOf(0), flipS(signDigest(digestOf(0), key.secretKey)))).toBeUndefined()
  })

  it("signs as noble does, byte for byte (RFC 6979 nonce, low s), and derives the same public keys", () => {
    const secretOf = (k: bigint) => Uint8Array.from(Buffer.from(k.toString(16).padStart(64, "0"), "hex"))
    // Dev keys, and the edges of the key range: 1, n − 1, and secrets with leading zero bytes.
    const secrets = [
      ...Array.from({ length: 40 }, (_, i) => devKey(`signing-${i}`).secretKey),
      secretOf(1n),
      secretOf(N - 1n),
      secretOf(0xffn),
      secretOf(BigInt(`0x${"00".repeat(8)}${"7f".repeat(24)}`))
    ]
    let lowS = 0
    for (const [i, secret] of secrets.entries()) {
      expect(keyPairFromSecret(secret).publicKey).toBe(`0x${bytesToHex(publicKeyWithNoble(secret))}`)
      for (const digest of [digestOf(i), keccak256Hex("") as Hex, `0x${"00".repeat(32)}` as Hex, `0x${(N - 1n).toString(16)}` as Hex, `0x${N.toString(16)}` as Hex, `0x${"ff".repeat(32)}` as Hex]) {
        const native = signDigest(digest, secret)
        expect(native, `${i} ${digest}`).toBe(signWithNoble(digest, secret))
        expect(recoverWithNative(digest, native)).toBe(keyPairFromSecret(secret).address)
        if (BigInt(`0x${native.slice(66, 130)}`) <= SECP256K1_HALF_N) lowS++
      }
    }
    expect(lowS).toBe(secrets.length * 6)
    // Neither signs with, or derives a key from, what is not a secret: 0, n, beyond n, the wrong length.
    for (const bad of [secretOf(0n), secretOf(N), secretOf(N + 5n), new Uint8Array(31), new Uint8Array(33).fill(1)]) {
      expect(() => signWithNoble(digestOf(0), bad), bytesToHex(bad)).toThrow()
      expect(() => signDigest(digestOf(0), bad), bytesToHex(bad)).toThrow()
      expect(() => publicKeyWithNoble(bad), bytesToHex(bad)).toThrow()
      expect(() => keyPairFromSecret(bad), bytesToHex(bad)).toThrow()
    }
    // A digest of another length gets noble's answer too (never a second one).
    for (const digest of ["0x1234", `0x${"ab".repeat(33)}`] as Array<Hex>) expect(signDigest(digest, secrets[0]!)).toBe(signWithNoble(digest, secrets[0]!))
  })

  it("decompresses public keys as noble does, and refuses the same non-points", () => {
    const keys = Array.from({ length: 20 }, (_, i) => devKey(`point-${i}`).publicKey)
    for (const key of keys) {
      const bytes = Uint8Array.from(Buffer.from(key.slice(2), "hex"))
      expect(bytesToHex(uncompress(bytes))).toBe(bytesToHex(noble.Point.fromBytes(bytes).toBytes(false)))
      // The uncompressed form goes back to itself.
      expect(bytesToHex(uncompress(uncompress(bytes)))).toBe(bytesToHex(uncompress(bytes)))
    }
    const notPoints = [
      new Uint8Array(33), // prefix 0
      Uint8Array.from([2, ...new Array(32).fill(0xff)]), // x beyond the field
      Uint8Array.from([2, ...new Array(31).fill(0), 5]), // x = 5: x³ + 7 = 132 is not a square mod p
      new Uint8Array(32),
      Uint8Array.from([4, ...new Array(64).fill(1)]) // uncompressed, not on the curve
    ]
    for (const bad of notPoints) {
      expect(() => noble.Point.fromBytes(bad), bytesToHex(bad)).toThrow()
      expect(() => uncompress(bad), bytesToHex(bad)).toThrow()
    }
  })
})
