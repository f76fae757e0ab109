import { execFile } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Arbitrary, Cause, Effect, Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Commit } from "../../domain/recordedEvent"
import { seededRandom } from "../../infra/ml/model"
import { outcomes, writeCases, type CodecCase } from "../support/codecOutcomes"

/**
 * The event store's codec runs Effect's JIT-compiled decoders and encoders
 * (codec.ts). They must be the interpreter's exact twins: the same values for
 * valid input, the same messages for every malformed one (a foreign message's
 * reason, an InvalidEvent's text are part of the contract). Differential
 * property check: schema-generated commits of every event type, and copies
 * with one field broken, through both; the interpreter runs in a process of
 * its own that never loads the codec.
 */

// Count the functions the JIT generates, to show the compiled path is the one under test.
let generated = 0
const NativeFunction = globalThis.Function
globalThis.Function = new Proxy(NativeFunction, {
  apply(target, self, args: Array<string>) {
    if (args.length > 1) generated++
    return Reflect.apply(target, self, args)
  }
})

type Path = ReadonlyArray<string | number>
const pathsOf = (value: unknown, at: Path = []): Array<Path> => {
  if (value === null || typeof value !== "object") return [at]
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)
  return [at, ...keys.flatMap((k) => pathsOf((value as Record<string | number, unknown>)[k], [...at, k]))]
}
const breakings: ReadonlyArray<unknown> = [undefined, null, 42, -1, 1.5, "", "x", true, [], {}, 10n, "0xAB"]

/** A copy of `value` with the thing at one random path removed or replaced by a wrong value. */
const broken = (value: unknown, random: () => number): unknown => {
  const copy = structuredClone(value)
  const paths = pathsOf(copy)
  const path = paths[Math.floor(random() * paths.length)]!
  const replacement = breakings[Math.floor(random() * breakings.length)]
  if (path.length === 0) return replacement
  let parent = copy as Record<string | number, unknown>
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (replacement === undefined && !Array.isArray(parent)) delete parent[last]
  else parent[last] = replacement
  return copy
}

const interpreted = async (cases: ReadonlyArray<CodecCase>): Promise<Array<string>> => {
  const file = join(mkdtempSync(join(tmpdir(), "codec-")), "cases.json")
  writeFileSync(file, writeCases(cases))
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "tests/support/interpretedCodec.ts", file], { maxBuffer: 256 * 1024 * 1024 })
  return JSON.parse(stdout) as Array<string>
}

describe("the event store codec's compiled schemas", () => {
  it("decode and encode exactly as Effect Schema's interpreter, on valid and broken input", async () => {
    await import("../../infra/eventStore/codec")
    const commits = await Effect.runPromise(Arbitrary.sampleEffect(Arbitrary.schema(Commit), { count: 150, seed: 20261126 }))
    const encode = Schema.encodeUnknownSync(Commit)
    // Seeded, so a failure names cases that reproduce.
    const random = seededRandom(7)
    const cases: Array<CodecCase> = []
    for (const commit of commits) {
      // As stored: the encoded commit through JSON.
      const stored = JSON.parse(JSON.stringify(encode(commit))) as unknown
      cases.push({ op: "decodeCommit", input: stored }, { op: "decodeCommit", input: broken(stored, random) }, { op: "decodeCommit", input: broken(stored, random) })
      for (const event of commit.events) {
        cases.push({ op: "encodeEvent", input: event.data }, { op: "encodeEvent", input: broken(event.data, random) })
        cases.push({ op: "encodeMetadata", input: event.metadata }, { op: "encodeMetadata", input: broken(event.metadata, random) })
      }
    }
    // Edges of a commit's shape that a random break seldom makes.
    const first = JSON.parse(JSON.stringify(encode(commits[0]!))) as { events: Array<unknown> }
    for (const input of [{ events: [] }, {}, [], null, "x", { events: {} }, { events: [first.events[0], 5] }, { ...first, extra: 1 }, Object.assign(Object.create(null) as object, first)]) {
      cases.push({ op: "decodeCommit", input })
    }
    const compiled = outcomes(cases)
    expect(generated).toBeGreaterThan(0)
    const reference = await interpreted(cases)
    expect(reference).toHaveLength(cases.length)
    for (let i = 0; i < cases.length; i++) {
      // Outcomes are long: show where they part.
      const [a, b] = [compiled[i]!, reference[i]!]
      let at = 0
      while (at < a.length && a[at] === b[at]) at++
      expect(a.slice(Math.max(0, at - 120), at + 200), `case ${i} (${cases[i]!.op})`).toBe(b.slice(Math.max(0, at - 120), at + 200))
    }
    // The readers' decode (each event through the compiled event decoder, the whole
    // commit's decoder for anything else) answers every decodeCommit case as the
    // commit's own decoder does: the same values, the same messages.
    const { decodeStoredCommit } = await import("../../infra/eventStore/codec")
    const byCommit = Schema.decodeUnknownExit(Commit, { errors: "all" })
    const told = (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? exit.value : `error ${String(Cause.squash(exit.cause))}`)
    let decodedByEvent = 0
    for (const [i, c] of cases.entries()) {
      if (c.op !== "decodeCommit") continue
      const ours = decodeStoredCommit(c.input)
      if (Exit.isSuccess(ours)) decodedByEvent++
      expect(told(ours), `case ${i}`).toStrictEqual(told(byCommit(c.input)))
    }
    expect(decodedByEvent).toBeGreaterThan(150)
    // Both sides of every operation were exercised: accepted input and refused input.
    for (const op of ["decodeCommit", "encodeEvent", "encodeMetadata"] as const) {
      const mine = compiled.filter((_, i) => cases[i]!.op === op)
      expect(mine.filter((o) => o.startsWith("ok ")).length, `${op} accepted`).toBeGreaterThan(20)
      expect(mine.filter((o) => o.startsWith("error ")).length, `${op} refused`).toBeGreaterThan(20)
    }
  }, 120_000)
})
