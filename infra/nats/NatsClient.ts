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

/** One NATS connection per process, drained on shutdown so in-flight publishes land. */
export class NatsClient extends Context.Service<NatsClient, { readonly connection: NatsConnection }>()("NatsClient") {
  static readonly layer = (options: ConnectionOptions) =>
    Layer.effect(
      NatsClient,
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () => connect(options),
          catch: (e) =>
            new NatsConnectFailed({ servers: String(options.servers ?? ""), reason: e instanceof Error ? e.message : String(e) })
        }),
        (connection) => Effect.promise(() => connection.drain().catch(() => undefined))
      ).pipe(Effect.map((connection) => ({ connection })))
    )

  /** From the environment: NATS_URL (default nats://127.0.0.1:4222), NATS_USER/NATS_PASSWORD. */
  static readonly layerFromEnv = (role?: string) => NatsClient.layer(natsOptionsFromEnv(role ? `neuralink-${role}` : "neuralink"))
}
