import { generateKeyPair, signCommand } from "../infra/identity/signature"

/**
 * A load driver for the command API, as a client would drive it: signed
 * commands offered at a steady rate (or as fast as `concurrency` allows),
 * spread over one or more API processes, each retried with the same command
 * id (so idempotently) while the answer is a 5xx, a dropped connection or
 * contention, until it is acknowledged (2xx) or refused (other 4xx). It
 * records when each command was acknowledged, so a caller can tell how long
 * acknowledgements stopped (the stall of a leader election) and check that
 * every acknowledged command is in the log. Used by the cluster test and the
 * cluster bench.
 */
export interface SignedBody {
  readonly type: string
  /** Signed when first offered (its `issuedAt` is then), the same body for every retry. */
  readonly body: () => ReturnType<typeof signCommand>
}

const once = <A>(f: () => A): (() => A) => {
  let value: { a: A } | undefined
  return () => (value ??= { a: f() }).a
}

/** `count` RegisterNode commands, each by a fresh key (one key, one node), signed when first offered. */
export const registrations = (count: number, prefix: string): ReadonlyArray<SignedBody> =>
  Array.from({ length: count }, (_, i) => {
    const key = generateKeyPair()
    const nodeId = `${prefix}${i}`
    return {
      type: "RegisterNode",
      body: once(() =>
        signCommand(key, "RegisterNode", { nodeId, publicKey: key.publicKey, roles: ["trainer"], capabilities: ["tfjs"] }, { commandId: `${prefix}-register-${i}` })
      )
    }
  })

export interface LoadReport {
  readonly offered: number
  /** Command id → ms (from the start) when it was acknowledged. */
  readonly acknowledged: ReadonlyMap<string, number>
  readonly refused: ReadonlyArray<{ readonly commandId: string; readonly status: number; readonly code?: string }>
  /** Commands never acknowledged nor refused before the driver gave up on them. */
  readonly unanswered: ReadonlyArray<string>
  /** HTTP requests sent, retries included. */
  readonly attempts: number
  readonly seconds: number
  /** Acknowledged commands per second over the run. */
  readonly rate: number
  /** Longest time without any acknowledgement while commands were in flight (ms). */
  readonly stallMs: number
  readonly latencyMs: { readonly p50: number; readonly p99: number }
}

const retryable = (status: number, code: string | undefined) => status >= 500 || status === 429 || code === "ConcurrencyRetriesExhausted"

export const driveLoad = async (options: {
  readonly urls: ReadonlyArray<string>
  readonly commands: ReadonlyArray<SignedBody>
  /** Offered commands per second; Infinity: as fast as `concurrency` allows. */
  readonly ratePerSecond: number
  /** Requests in flight at most; for a paced run keep it well above rate × slowest answer, or a stall measures the driver. */
  readonly concurrency: number
  /** Give up on a command this long after it was first offered. */
  readonly giveUpAfterMs: number
  /** Called with the ms since start after every acknowledgement (e.g. to kill a server mid-run). */
  readonly onAck?: (count: number, atMs: number) => void
}): Promise<LoadReport> => {
  const start = performance.now()
  const since = () => performance.now() - start
  const acknowledged = new Map<string, number>()
  const refused: Array<{ commandId: string; status: number; code?: string }> = []
  const unanswered: Array<string> = []
  const latencies: Array<number> = []
  let attempts = 0
  let next = 0
  const one = async (i: number) => {
    const { type } = options.commands[i]!
    const body = options.commands[i]!.body()
    const url = `${options.urls[i % options.urls.length]}/commands/${type}`
    const offeredAt = since()
    for (;;) {
      attempts++
      const answer = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) })
        .then(async (r) => ({ status: r.status, json: (await r.json().catch(() => ({}))) as { code?: string } }))
        .catch(() => ({ status: 599, json: {} as { code?: string } }))
      if (answer.status < 300) {
        const at = since()
        acknowledged.set(body.commandId, at)
        latencies.push(at - offeredAt)
        options.onAck?.(acknowledged.size, at)
        return
      }
      if (!retryable(answer.status, answer.json.code)) {
        refused.push({ commandId: body.commandId, status: answer.status, ...(answer.json.code ? { code: answer.json.code } : {}) })
        return
      }
      if (since() - offeredAt > options.giveUpAfterMs) {
        unanswered.push(body.commandId)
        return
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  // LOAD_PROGRESS=1: a progress line per second on stderr (diagnosing a stall).
  const progress = process.env.LOAD_PROGRESS === "1" ? setInterval(() => console.error(`[load] ${Math.round(since())} ms: offered ${next}, acked ${acknowledged.size}, refused ${refused.length}, attempts ${attempts}`), 1_000) : undefined
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.commands.length) {
        const i = next++
        // Paced: command i is offered no earlier than i / rate seconds after the start.
        const due = Number.isFinite(options.ratePerSecond) ? (i / options.ratePerSecond) * 1000 : 0
        const wait = due - since()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        await one(i)
      }
    })
  )
  clearInterval(progress)
  const seconds = since() / 1000
  const times = [...acknowledged.values()].sort((a, b) => a - b)
  let stallMs = times[0] ?? seconds * 1000
  for (let i = 1; i < times.length; i++) stallMs = Math.max(stallMs, times[i]! - times[i - 1]!)
  const sorted = [...latencies].sort((a, b) => a - b)
  const pct = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!)
  return {
    offered: options.commands.length,
    acknowledged,
    refused,
    unanswered,
    attempts,
    seconds,
    rate: acknowledged.size / seconds,
    stallMs,
    latencyMs: { p50: pct(0.5), p99: pct(0.99) }
  }
}
