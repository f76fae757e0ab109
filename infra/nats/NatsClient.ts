import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Layer, Schema } from "effect"
import { inboxPrefixOf } from "./accounts"

export class NatsConnectFailed extends Schema.TaggedError<NatsConnectFailed>()("NatsConnectFailed", {
  servers: Schema.String,
  reason: Schema.String
}) {}

/**
 * Connection options for a NATS user: its replies arrive on its own inbox
 * prefix, the only inbox its permissions let it subscribe to
 * (infra/nats/accounts.ts), so no client can read another's replies.
 */
export const natsOptions = (options: { servers: string; user?: string; pass?: string; name?: string }): ConnectionOptions => ({
  servers: options.servers,
  // Ride out an outage of any length: reconnect forever, every second (with
  // jitter), and keep publishes issued meanwhile in the reconnect buffer.
  maxReconnectAttempts: -1,
  reconnectTimeWait: 1_000,
  ...(options.user ? { user: options.user, pass: options.pass ?? "", inboxPrefix: inboxPrefixOf(options.user) } : {}),
  ...(options.name ? { name: options.name } : {})
})

/** NATS_URL (default nats://127.0.0.1:4222), NATS_USER / NATS_PASSWORD from the environment. */
export const natsOptionsFromEnv = (name: string): ConnectionOptions =>
  natsOptions({
    servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
    ...(process.env.NATS_USER ? { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD ?? "" } : {}),
    name
  })

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
            // Reconnect forever unless the caller says otherwise.
            connect({ maxReconnectAttempts: -1, reconnectTimeWait: 1_000, ...options }).then((nc) => {
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
