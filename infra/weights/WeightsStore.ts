import { jetstreamManager } from "@nats-io/jetstream"
import { Objm } from "@nats-io/obj"
import type { NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Layer, Schema } from "effect"
import { sha256Hex } from "../contentHash"
import { useNativeObjectStoreHashing } from "../nats/objectStoreHashing"
import { WEIGHTS_BUCKET } from "../nats/provision"

export class WeightsUnavailable extends Schema.TaggedError<WeightsUnavailable>()("WeightsUnavailable", {
  hash: Schema.String,
  reason: Schema.String
}) {}

/**
 * Whether a failed read is an answer (the store has no such bytes, or bytes
 * that do not hash to the name) rather than an outage. Only an answer may
 * become a verdict: a validator that cannot reach the store retries later.
 */
export const weightsMissing = (e: unknown): boolean =>
  e instanceof WeightsUnavailable && (e.reason === "not stored" || e.reason.startsWith("stored bytes hash to"))

/** The content address of weights: SHA-256 of the bytes, 0x-prefixed hex. */
export const weightsHash = (bytes: Uint8Array): `0x${string}` => sha256Hex(bytes)

/**
 * Model weights by content: the key is the SHA-256 of the bytes, so what
 * you get is what was hashed (checked on every read), and identical weights
 * are stored once. JetStream Object Store bucket `weights` in production,
 * written only by the API (PUT /weights/:name checks the hash and never
 * overwrites); nodes read it directly and upload through the API.
 */
export interface WeightsStoreShape {
  readonly put: (bytes: Uint8Array) => Promise<`0x${string}`>
  /** The bytes for a hash; fails when missing or when the stored bytes do not hash to it. */
  readonly get: (hash: string) => Promise<Uint8Array>
  /** Whether the bytes for a hash are stored. */
  readonly has: (hash: string) => Promise<boolean>
}

export class WeightsStore extends Context.Service<WeightsStore, WeightsStoreShape>()("WeightsStore") {
  static readonly layerInMemory = Layer.sync(WeightsStore, () => inMemoryWeightsStore())
  static readonly layer = (nc: NatsConnection, bucket = WEIGHTS_BUCKET) =>
    Layer.effect(WeightsStore, Effect.promise(() => objectStoreWeights(nc, bucket)))
}

/** `sha256-<64 hex>`: the object name of a hash (and the name uploads use). */
export const objectName = (hash: string) => `sha256-${hash.replace(/^0x/, "")}`
export const hashOfObjectName = (name: string): `0x${string}` | undefined => (/^sha256-[0-9a-f]{64}$/.test(name) ? `0x${name.slice(7)}` : undefined)

export const inMemoryWeightsStore = (): WeightsStoreShape => {
  const blobs = new Map<string, Uint8Array>()
  return {
    async put(bytes) {
      const hash = weightsHash(bytes)
      if (!blobs.has(hash)) blobs.set(hash, bytes.slice())
      return hash
    },
    async get(hash) {
      const bytes = blobs.get(hash)
      if (!bytes) throw new WeightsUnavailable({ hash, reason: "not stored" })
      return bytes.slice()
    },
    async has(hash) {
      return blobs.has(hash)
    }
  }
}

const GET_ATTEMPTS = 3
/**
 * Objects of at most this many chunks (128 KiB each) are read chunk by chunk
 * with direct gets: one request per chunk after the metadata. The object
 * store's own read creates a push consumer per object (a create and a delete
 * on the server) and hashes in pure JS a second time: a quarter of a digits
 * round went to reading small weights that way (bench, 2026-11-26). Larger
 * objects stream through that consumer, where its flow control pays.
 */
const DIRECT_CHUNKS = 8

export const objectStoreWeights = async (nc: NatsConnection, bucket = WEIGHTS_BUCKET): Promise<WeightsStoreShape> => {
  useNativeObjectStoreHashing()
  const store = await new Objm(nc).open(bucket)
  const direct = (await jetstreamManager(nc)).direct
  const readBlob = async (name: string): Promise<Uint8Array | null> => {
    const info = await store.info(name)
    if (!info || info.deleted) return null
    if (info.size === 0) return new Uint8Array(0)
    if (info.chunks > DIRECT_CHUNKS || info.options?.link) return store.getBlob(name)
    const parts: Array<Uint8Array> = []
    const subject = `$O.${bucket}.C.${info.nuid}`
    for (let seq = 1, i = 0; i < info.chunks; i++) {
      const chunk = await direct.getMessage(`OBJ_${bucket}`, { seq, next_by_subj: subject })
      if (!chunk) return null
      parts.push(chunk.data)
      seq = chunk.seq + 1
    }
    // The caller checks the bytes against the content hash, which also covers the chunking.
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }
  const has = async (hash: string) => (await store.info(objectName(hash)).catch(() => null)) !== null
  return {
    async put(bytes) {
      const hash = weightsHash(bytes)
      // Content addressed and write-once: if it is there, it is these bytes already.
      if (!(await has(hash))) await store.putBlob({ name: objectName(hash) }, bytes)
      return hash
    },
    async get(hash) {
      // A download can time out when the process is busy (a node training in
      // the same process holds the event loop): try again before giving up.
      const fetchBlob = async (attempt: number): Promise<Uint8Array | null> => {
        try {
          return await readBlob(objectName(hash))
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e)
          if (attempt < GET_ATTEMPTS && /timeout/i.test(reason)) return fetchBlob(attempt + 1)
          throw new WeightsUnavailable({ hash, reason: attempt > 1 ? `${reason} (after ${attempt} attempts)` : reason })
        }
      }
      const bytes = await fetchBlob(1)
      if (!bytes) throw new WeightsUnavailable({ hash, reason: "not stored" })
      const actual = weightsHash(bytes)
      if (actual !== hash) throw new WeightsUnavailable({ hash, reason: `stored bytes hash to ${actual}` })
      return bytes
    },
    has
  }
}

/** Reads from one store, writes through another (a node: reads NATS, uploads via the API). */
export const splitWeightsStore = (reads: WeightsStoreShape, writes: Pick<WeightsStoreShape, "put">): WeightsStoreShape => ({
  put: writes.put,
  get: reads.get,
  has: reads.has
})
