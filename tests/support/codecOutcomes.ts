import { Cause, Exit, Schema } from "effect"
import { DomainEvent } from "../../domain/events"
import { Commit, EventMetadata } from "../../domain/recordedEvent"

/**
 * The codec's schema operations and how their outcomes are written, shared by
 * the compiled-codec spec and the interpreter it is compared with
 * (interpretedCodec.ts, a process of its own where nothing is compiled).
 * Operations are created on first use: whichever decoder the registry holds
 * then is the one that runs.
 */
export interface CodecCase {
  readonly op: "decodeCommit" | "encodeEvent" | "encodeMetadata"
  readonly input: unknown
}

const operations = () => ({
  decodeCommit: Schema.decodeUnknownExit(Commit, { errors: "all" }),
  decodeCommitFirst: Schema.decodeUnknownExit(Commit),
  encodeEvent: Schema.encodeUnknownExit(DomainEvent, { errors: "all" }),
  encodeMetadata: Schema.encodeUnknownExit(EventMetadata, { errors: "all" })
})

/**
 * Cases as JSON, keeping what JSON cannot say: a bigint is `{"$bigint":"<digits>"}`,
 * a present `undefined` (a key holding it, an array slot) is `{"$undefined":true}`.
 */
export const writeCases = (cases: ReadonlyArray<CodecCase>): string =>
  JSON.stringify(cases, function (this: unknown, k, v) {
    if (typeof v === "bigint") return { $bigint: String(v) }
    return v === undefined && k !== "" ? { $undefined: true } : v
  })
export const readCases = (text: string): Array<CodecCase> => {
  const marked = (v: unknown, key: string) => v !== null && typeof v === "object" && Object.keys(v).length === 1 && key in v
  const revive = (v: unknown): unknown => {
    if (marked(v, "$bigint")) return BigInt((v as { $bigint: string }).$bigint)
    if (marked(v, "$undefined")) return undefined
    if (Array.isArray(v)) return v.map(revive)
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {}
      // defineProperty: a "__proto__" key stays an own key, as JSON.parse leaves it.
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: revive(x), enumerable: true, writable: true, configurable: true })
      return out
    }
    return v
  }
  return revive(JSON.parse(text)) as Array<CodecCase>
}

const describeExit = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return `ok ${JSON.stringify(exit.value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))}`
  const error = Cause.squash(exit.cause)
  return `error ${error instanceof Error ? error.message : String(error)}`
}

/** One line per case: the value (bigints as `<n>n`) or the error's message; decodes also with errors: "first". */
export const outcomes = (cases: ReadonlyArray<CodecCase>): Array<string> => {
  const run = operations()
  return cases.map((c) =>
    c.op === "decodeCommit"
      ? `${describeExit(run.decodeCommit(c.input))} | first: ${describeExit(run.decodeCommitFirst(c.input))}`
      : describeExit(run[c.op](c.input))
  )
}
