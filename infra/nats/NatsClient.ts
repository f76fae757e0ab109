import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Layer, Schema } from "effect"

export class NatsConnectFailed extends Schema.TaggedError<NatsConnectFailed>()("NatsConnectFailed", {
  servers: Schema.String,
  reason: Schema.String
}) {}

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
  static readonly layerFromEnv = (role?: string) =>
    NatsClient.layer({
      servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
      ...(process.env.NATS_USER ? { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD ?? "" } : {}),
      name: role ? `neuralink-${role}` : "neuralink"
    })
}
