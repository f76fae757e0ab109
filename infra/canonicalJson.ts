/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no insignificant
 * whitespace, numbers in ECMAScript shortest form (what JSON.stringify gives,
 * which is also RFC 8785's rule). Two parties that hold the same value get the
 * same bytes, so a hash over them is something a third party can recompute.
 *
 * Only JSON values are accepted: `undefined`, functions, symbols, bigint and
 * non-finite numbers are refused rather than silently dropped, because a value
 * that changes shape on the way to the hash would make the hash lie. Encode
 * domain values with their Schema first (bigint money becomes a string there).
 */
export class NonCanonicalValue extends Error {
  readonly _tag = "NonCanonicalValue"
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`)
  }
}

/**
 * The common case first: a JSON value is written in one pass, without the
 * path strings only an error message needs (building them for every value
 * was a fifth of sealing a commit). Anything that is not a JSON value sends
 * it back to the careful writer, which names where it is.
 */
export const canonicalJson = (value: unknown): string => {
  try {
    return fast(value)
  } catch (e) {
    if (e !== NOT_JSON) throw e
    return write(value, "$")
  }
}

const NOT_JSON = Symbol("not a JSON value")

const fast = (value: unknown): string => {
  if (value === null) return "null"
  switch (typeof value) {
    case "string":
      return JSON.stringify(value)
    case "boolean":
      return value ? "true" : "false"
    case "number":
      if (!Number.isFinite(value)) throw NOT_JSON
      return JSON.stringify(value)
    case "object": {
      if (Array.isArray(value)) {
        let out = "["
        for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + fast(value[i])
        return `${out}]`
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw NOT_JSON
      const record = value as Record<string, unknown>
      const keys = Object.keys(record).sort()
      let out = "{"
      let first = true
      for (const key of keys) {
        const item = record[key]
        if (item === undefined) continue
        out += `${first ? "" : ","}${JSON.stringify(key)}:${fast(item)}`
        first = false
      }
      return `${out}}`
    }
    default:
      throw NOT_JSON
  }
}

const write = (value: unknown, path: string): string => {
  if (value === null) return "null"
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value)
    case "number":
      if (!Number.isFinite(value)) throw new NonCanonicalValue(path, "non-finite number")
      return JSON.stringify(value)
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(",")}]`
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        throw new NonCanonicalValue(path, `not a plain object (${proto?.constructor?.name ?? "unknown"})`)
      }
      const record = value as Record<string, unknown>
      const keys = Object.keys(record).sort()
      const parts: Array<string> = []
      for (const key of keys) {
        const item = record[key]
        // An absent optional field and an explicit `undefined` mean the same
        // thing in our schemas; both are left out of the canonical form.
        if (item === undefined) continue
        parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`)}`)
      }
      return `{${parts.join(",")}}`
    }
    default:
      throw new NonCanonicalValue(path, `${typeof value} is not a JSON value`)
  }
}
