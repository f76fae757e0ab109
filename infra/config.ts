/**
 * Process configuration from the environment, validated at start: every
 * variable a process reads is declared once with its default and meaning,
 * and a missing or malformed one stops the process with a message naming
 * it (a typo must never become NaN or a silent default). The README's
 * environment table lists the same variables.
 */
export interface Setting<A> {
  readonly doc: string
  /** Used when the variable is unset or empty; without it the variable is required. */
  readonly fallback?: A
  readonly parse: (raw: string) => A | { readonly invalid: string }
}

export class ConfigInvalid extends Error {
  readonly _tag = "ConfigInvalid"
  constructor(readonly problems: ReadonlyArray<string>) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  }
}

const setting = <A>(doc: string, parse: Setting<A>["parse"], fallback?: A): Setting<A> => ({ doc, parse, ...(fallback === undefined ? {} : { fallback }) })

export const integer = (doc: string, fallback: number | undefined, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  setting<number>(
    doc,
    (raw) => {
      const n = Number(raw)
      return /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(n) && n >= min && n <= max ? n : { invalid: `must be an integer in ${min}..${max}` }
    },
    fallback
  )
export const port = (doc: string, fallback?: number) => integer(doc, fallback, 1, 65_535)
export const text = (doc: string, fallback?: string, pattern?: RegExp) =>
  setting<string>(doc, (raw) => (pattern && !pattern.test(raw) ? { invalid: `must match ${pattern}` } : raw), fallback)
export const url = (doc: string, fallback?: string) =>
  setting<string>(
    doc,
    (raw) => {
      try {
        new URL(raw)
        return raw
      } catch {
        return { invalid: "must be a URL" }
      }
    },
    fallback
  )
/** Comma-separated server URLs (`nats://host:port,nats://host:port`): the seeds of one cluster. */
export const serverList = (doc: string, schemes: ReadonlyArray<string>, fallback?: ReadonlyArray<string>) =>
  setting<ReadonlyArray<string>>(
    doc,
    (raw) => {
      const list = raw.split(",").map((u) => u.trim()).filter(Boolean)
      const bad = list.find((u) => {
        try {
          const parsed = new URL(u)
          return !schemes.includes(parsed.protocol.replace(/:$/, "")) || parsed.hostname === ""
        } catch {
          return true
        }
      })
      return list.length === 0 ? { invalid: "must name at least one server" } : bad ? { invalid: `${bad} is not a ${schemes.join("/")}:// URL` } : list
    },
    fallback
  )
export const flag = (doc: string, fallback: boolean) =>
  setting<boolean>(doc, (raw) => (raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : { invalid: "must be true or false" }), fallback)
/** Comma-separated 0x addresses (lower-cased). */
export const addresses = (doc: string) =>
  setting<ReadonlyArray<string>>(
    doc,
    (raw) => {
      const list = raw.split(",").map((a) => a.trim().toLowerCase()).filter(Boolean)
      const bad = list.find((a) => !/^0x[0-9a-f]{40}$/.test(a))
      return bad ? { invalid: `${bad} is not a 0x address` } : list
    },
    []
  )
export const hex32 = (doc: string, fallback?: `0x${string}`) =>
  setting<`0x${string}`>(doc, (raw) => (/^0x[0-9a-fA-F]{64}$/.test(raw) ? (raw as `0x${string}`) : { invalid: "must be 0x + 64 hex digits" }), fallback)
export const address = (doc: string, fallback?: `0x${string}`) =>
  setting<`0x${string}`>(doc, (raw) => (/^0x[0-9a-fA-F]{40}$/.test(raw) ? (raw as `0x${string}`) : { invalid: "must be a 0x address" }), fallback)

type Values<T extends Record<string, Setting<unknown>>> = {
  readonly [K in keyof T]: T[K] extends Setting<infer A> ? (T[K]["fallback"] extends undefined ? A | undefined : A) : never
}

/**
 * Read and validate the settings. `required` names those that must be set;
 * the others are optional (their fallback, or undefined). Throws ConfigInvalid
 * listing every problem at once.
 */
export const readConfig = <T extends Record<string, Setting<unknown>>>(
  settings: T,
  options: { readonly required?: ReadonlyArray<keyof T & string>; readonly env?: Record<string, string | undefined> } = {}
): Values<T> => {
  const env = options.env ?? process.env
  const problems: Array<string> = []
  const values: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(settings)) {
    const raw = env[name]
    if (raw === undefined || raw === "") {
      if (options.required?.includes(name)) problems.push(`${name} is required (${s.doc})`)
      values[name] = s.fallback
      continue
    }
    const parsed = s.parse(raw)
    if (typeof parsed === "object" && parsed !== null && "invalid" in parsed) problems.push(`${name}=${JSON.stringify(raw)} ${parsed.invalid} (${s.doc})`)
    else values[name] = parsed
  }
  if (problems.length > 0) throw new ConfigInvalid(problems)
  return values as Values<T>
}

/** For a process entry point: the message, then exit 2 (a configuration error, not a crash). */
export const orExit = <A>(read: () => A): A => {
  try {
    return read()
  } catch (e) {
    if (e instanceof ConfigInvalid) {
      console.error(e.message)
      process.exit(2)
    }
    throw e
  }
}
