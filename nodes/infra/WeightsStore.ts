import { Objm } from "@nats-io/obj"
import type { NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Layer, Schema } from "effect"
import { weightsHash } from "../../infra/ml/model"
import { WEIGHTS_BUCKET } from "../../infra/nats/provision"

export class WeightsUnavailable extends Schema.TaggedError<WeightsUnavailable>()("WeightsUnavailable", {
  hash: Schema.String,
  reason: Schema.String
}) {}

/**
 * Model weights by content: the key is the SHA-256 of the bytes, so what
 * you get is what was hashed (checked on every read), and identical weights
 * are stored once. JetStream Object Store bucket `weights` in production.
 */
export interface WeightsStoreShape {
  readonly put: (bytes: Uint8Array) => Promise<`0x${string}`>
  /** The bytes for a hash; fails when missing or when the stored bytes do not hash to it. */
  readonly get: (hash: string) => Promise<Uint8Array>
}

export class WeightsStore extends Context.Service<WeightsStore, WeightsStoreShape>()("WeightsStore") {
  static readonly layerInMemory = Layer.sync(WeightsStore, () => inMemoryWeightsStore())
  static readonly layer = (nc: NatsConnection, bucket = WEIGHTS_BUCKET) =>
    Layer.effect(WeightsStore, Effect.promise(() => objectStoreWeights(nc, bucket)))
}

const objectName = (hash: string) => `sha256-${hash.replace(/^0x/, "")}`

export const inMemoryWeightsStore = (): WeightsStoreShape => {
  const blobs = new Map<string, Uint8Array>()
  return {
    async put(bytes) {
      const hash = weightsHash(bytes)
      blobs.set(hash, bytes.slice())
      return hash
    },
    async get(hash) {
      const bytes = blobs.get(hash)
      if (!bytes) throw new WeightsUnavailable({ hash, reason: "not stored" })
      return bytes.slice()
    }
  }
}

export const objectStoreWeights = async (nc: NatsConnection, bucket = WEIGHTS_BUCKET): Promise<WeightsStoreShape> => {
  const store = await new Objm(nc).open(bucket)
  return {
    async put(bytes) {
      const hash = weightsHash(bytes)
      // Content addressed: if it is there, it is these bytes already.
      const existing = await store.info(objectName(hash)).catch(() => null)
      if (!existing) await store.putBlob({ name: objectName(hash) }, bytes)
      return hash
    },
    async get(hash) {
      const bytes = await store.getBlob(objectName(hash)).catch((e: unknown) => {
        throw new WeightsUnavailable({ hash, reason: e instanceof Error ? e.message : String(e) })
      })
      if (!bytes) throw new WeightsUnavailable({ hash, reason: "not stored" })
      const actual = weightsHash(bytes)
      if (actual !== hash) throw new WeightsUnavailable({ hash, reason: `stored bytes hash to ${actual}` })
      return bytes
    }
  }
}
