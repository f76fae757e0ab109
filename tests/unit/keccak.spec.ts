import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import { describe, expect, it } from "vitest"
import { keccak256Hex } from "../../infra/keccak"

describe("keccak256 (WASM) agrees with @noble/hashes, viem's implementation", () => {
  it("on the empty input's well-known digest", () => {
    expect(keccak256Hex("")).toBe("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
  })
  it("on inputs across block boundaries (135/136/137 bytes) and unicode", () => {
    for (const text of ["a".repeat(135), "b".repeat(136), "c".repeat(137), "é∑🙂".repeat(50), JSON.stringify({ a: [1, 2, { b: "x" }] })]) {
      expect(keccak256Hex(text)).toBe(`0x${bytesToHex(keccak_256(utf8ToBytes(text)))}`)
    }
  })
  it("on bytes", () => {
    const bytes = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff)
    expect(keccak256Hex(bytes)).toBe(`0x${bytesToHex(keccak_256(bytes))}`)
  })
})
