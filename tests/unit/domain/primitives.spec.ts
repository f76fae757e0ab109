import { Cause, Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Address, Hash32, Instant, PublicKey, SignatureHex } from "../../../domain/primitives"
import { seededRandom } from "../../../infra/ml/model"

/**
 * The hex primitives test a string's length, then a pattern without the
 * counted repetition (faster in V8; primitives.ts). They must accept exactly
 * what `^0x[0-9a-f]{2n}$` accepts, refuse with its message, and still export
 * that pattern to JSON Schema (the OpenAPI document).
 */
const alphabet = ["0", "9", "a", "f", "A", "F", "g", "x", "X", " ", "\n", "é", "-"]
const random = seededRandom(20261127)
const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!

/** Strings near each length: valid hex of it, then one character changed, added or removed. */
const candidates = (hexDigits: number): Array<string> => {
  const out: Array<string> = []
  for (let k = 0; k < 200; k++) {
    const digits = Array.from({ length: hexDigits + (random() < 0.5 ? 0 : Math.floor(random() * 5) - 2) }, () => pick("0123456789abcdef".split("")))
    let s = `0x${digits.join("")}`
    const change = Math.floor(random() * 5)
    const at = Math.floor(random() * (s.length + 1))
    if (change === 1) s = s.slice(0, at) + pick(alphabet) + s.slice(at + 1)
    if (change === 2) s = s.slice(0, at) + pick(alphabet) + s.slice(at)
    if (change === 3) s = s.slice(0, at) + s.slice(at + 1)
    out.push(s)
  }
  return [...out, "", "0x", `${"0".repeat(hexDigits + 2)}`, `0x${"a".repeat(hexDigits)}\n`, `\n0x${"a".repeat(hexDigits)}`]
}

const told = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? "accepted" : String(Cause.squash(exit.cause)))

describe("hex primitives", () => {
  for (const [name, schema, bytes] of [["Address", Address, 20], ["Hash32", Hash32, 32], ["PublicKey", PublicKey, 33], ["SignatureHex", SignatureHex, 65]] as const) {
    it(`${name} accepts exactly 0x and ${bytes * 2} lowercase hex digits, with the pattern's message`, () => {
      const pattern = new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`)
      const decode = Schema.decodeUnknownExit(schema as Schema.Codec<string, string>)
      let accepted = 0
      for (const s of candidates(bytes * 2)) {
        const exit = decode(s)
        expect(Exit.isSuccess(exit), JSON.stringify(s)).toBe(pattern.test(s))
        if (Exit.isSuccess(exit)) accepted++
        else expect(told(exit)).toContain(`Expected a string matching the RegExp ${pattern.source}`)
      }
      expect(accepted).toBeGreaterThan(20)
      expect(Schema.toJsonSchemaDocument(schema).schema).toMatchObject({ type: "string", pattern: pattern.source })
    })
  }

  it("Instant tests without the u flag and exports its pattern with it: the same strings, the same message", () => {
    const instant = Schema.decodeUnknownExit(Instant)
    expect(Exit.isSuccess(instant("2026-11-27T10:00:00.123Z"))).toBe(true)
    for (const wrong of ["2026-11-27 10:00:00Z", "2026-11-27T10:00:00.123Z\n", "２026-11-27T10:00:00Z", ""]) {
      expect(told(instant(wrong))).toContain("Expected a string matching the RegExp ^\\d{4}")
    }
    expect(Schema.toJsonSchemaDocument(Instant).schema).toMatchObject({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$" })
  })
})
