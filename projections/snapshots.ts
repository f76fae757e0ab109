import { Objm } from "@nats-io/obj"
import type { NatsConnection } from "@nats-io/transport-node"
import { StorageType } from "@nats-io/jetstream"
import { useNativeObjectStoreHashing } from "../infra/nats/objectStoreHashing"

/**
 * Where the projector keeps its checkpoint: the read models and the global
 * position they reflect. On start the projector loads the snapshot and
 * follows the log from the next position instead of replaying it all. A
 * snapshot made by other projection code (another `READ_MODELS_VERSION`) is
 * ignored: the read models are rebuilt from zero.
 */
export const READ_MODELS_VERSION = "read-models-v2"

export interface Snapshot {
  readonly version: string
  readonly position: number
  readonly collections: Record<string, Record<string, unknown>>
}

export interface SnapshotStore {
  readonly load: () => Promise<Snapshot | undefined>
  readonly save: (snapshot: Snapshot) => Promise<void>
}

export const inMemorySnapshots = (): SnapshotStore & { saved: number } => {
  let current: string | undefined
  const store = {
    saved: 0,
    load: async () => (current ? (JSON.parse(current) as Snapshot) : undefined),
    save: async (s: Snapshot) => {
      current = JSON.stringify(s)
      store.saved++
    }
  }
  return store
}

export const SNAPSHOT_BUCKET = "snapshots"

/** JetStream Object Store (chunked, so read models larger than a message fit). */
export const objectStoreSnapshots = async (nc: NatsConnection, bucket = SNAPSHOT_BUCKET, name = "read-models"): Promise<SnapshotStore> => {
  useNativeObjectStoreHashing()
  // Provisioning creates the bucket (admin); roles that may only use it open it.
  const objm = new Objm(nc)
  const store = await objm.open(bucket).catch(() => objm.create(bucket, { storage: StorageType.File }))
  return {
    async load() {
      const bytes = await store.getBlob(name).catch(() => null)
      return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as Snapshot) : undefined
    },
    async save(snapshot) {
      await store.putBlob({ name }, new TextEncoder().encode(JSON.stringify(snapshot)))
    }
  }
}
