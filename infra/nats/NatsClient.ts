import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Layer, Schema } from "effect"
import { orExit, readConfig, serverList, text } from "../config"
import { inboxPrefixOf } from "./accounts"
// Before any connection: answered requests stop building a throwaway Error each.
import "./answeredRequests"

export class NatsConnectFailed extends Schema.TaggedError<NatsConnectFailed>()("NatsConnectFailed", {
  servers: Schema.String,
  reason: Schema.String
}) {}

/**
 * What every connection of ours starts from. Ride out an outage of any
 * length: reconnect forever, every second (with jitter), and keep publishes
 * issued meanwhile in the reconnect buffer. No async traces: with them every
 * request builds two Error objects up front (for a stack only a failure would
 * show), ~3% of the API's CPU in a profile of signed commands; failures keep
 * their messages.
 */
export const connectionDefaults = { maxReconnectAttempts: -1, reconnectTimeWait: 1_000, noAsyncTraces: true } as const satisfies ConnectionOptions

/**
 * Connection options for a NATS user: its replies arrive on its own inbox
 * prefix, the only inbox its permissions let it subscribe to
 * (infra/nats/accounts.ts), so no client can read another's replies.
 */
export const natsOptions = (options: { servers: string | ReadonlyArray<string>; user?: string; pass?: string; name?: string }): ConnectionOptions => ({
  // Several seeds (a cluster): the client connects to any and fails over to the others.
  servers: typeof options.servers === "string" ? options.servers.split(",").map((s) => s.trim()).filter(Boolean) : [...options.servers],
  ...connectionDefaults,
  ...(options.user ? { user: options.user, pass: options.pass ?? "", inboxPrefix: inboxPrefixOf(options.user) } : {}),
  ...(options.name ? { name: options.name } : {})
})

/**
 * The inbox prefix a connection was made with (natsOptions), undefined for
 * the default `_INBOX`. nats.js keeps its options on the connection without
 * typing them on the interface; the deliver subjects of our ordered push
 * consumers must lie under this prefix, the only inbox a restricted user may
 * subscribe to.
 */
export const inboxPrefixOfConnection = (nc: NatsConnection): string | undefined => {
  const prefix = (nc as { readonly options?: { readonly inboxPrefix?: unknown } }).options?.inboxPrefix
  return typeof prefix === "string" && prefix.length > 0 ? prefix : undefined
}

/** How every process reaches NATS (validated at start, like every other setting). */
export const natsSettings = {
  NATS_URL: serverList("NATS server(s); a cluster's seeds comma-separated", ["nats", "tls"], ["nats://127.0.0.1:4222"]),
  NATS_USER: text("NATS user of this process (its role, or node-<id>)"),
  NATS_PASSWORD: text("that user's password")
}

/** NATS_URL (default nats://127.0.0.1:4222, or a cluster's seeds), NATS_USER / NATS_PASSWORD; a malformed value stops the process (exit 2). */
export const natsOptionsFromEnv = (name: string, env: Record<string, string | undefined> = process.env): ConnectionOptions => {
  const config = orExit(() => readConfig(natsSettings, { env }))
  return natsOptions({
    servers: config.NATS_URL,
    ...(config.NATS_USER ? { user: config.NATS_USER, pass: config.NATS_PASSWORD ?? "" } : {}),
    name
  })
}

/**
 * Log a connection's outages and recoveries (a process must never die
 * silently). Resolves when the connection closes for good; `onClosed` runs
 * then unless the process is shutting down (see nodes/infra/nodeProcess.ts).
 */
export const watchConnection = (nc: NatsConnection, name: string, log: (line: string) => void = console.log) => {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") log(`[${name}] NATS connection lost (${s.server}); reconnecting`)
      else if (s.type === "reconnect") log(`[${name}] NATS connection restored (${s.server})`)
      else if (s.type === "error") log(`[${name}] NATS error: ${String(s.error)}`)
    }
  })()
  return nc.closed()
}

/** One NATS connection per process, drained on shutdown so in-flight publishes land. */
export class NatsClient extends Context.Service<NatsClient, { readonly connection: NatsConnection }>()("NatsClient") {
  static readonly layer = (options: ConnectionOptions) =>
    Layer.effect(
      NatsClient,
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () =>
            // The defaults unless the caller says otherwise.
            connect({ ...connectionDefaults, ...options }).then((nc) => {
              void watchConnection(nc, String(options.name ?? "nats"))
              return nc
            }),
          catch: (e) =>
            new NatsConnectFailed({ servers: String(options.servers ?? ""), reason: e instanceof Error ? e.message : String(e) })
        }),
        (connection) => Effect.promise(() => connection.drain().catch(() => undefined))
      ).pipe(Effect.map((connection) => ({ connection })))
    )

  /** From the environment: NATS_URL (default nats://127.0.0.1:4222), NATS_USER/NATS_PASSWORD. */
  static readonly layerFromEnv = (role?: string) => NatsClient.layer(natsOptionsFromEnv(role ? `neuralink-${role}` : "neuralink"))
}
