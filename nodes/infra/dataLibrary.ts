import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { concatSamples, type Samples } from "../../workloads/kit/samples"
import type { Workload } from "../../workloads/workload"

/**
 * The data a node trains and measures on, fetched by content hash from the
 * `datasets` bucket (the store checks every object's bytes against its
 * hash), decoded by the task's workload. A node needs no local copy of any
 * dataset: it holds exactly the registered bytes of the shards its work names.
 */
export interface DataLibrary {
  readonly samples: (workload: Workload, topology: Record<string, unknown>, contentHashes: ReadonlyArray<string>) => Promise<Samples>
}

/** Decoded sets are kept by (workload, topology, hashes): a validator judging many results of one task decodes each set once. */
const CACHED_SETS = 32

export const shardLibrary = (shards: Pick<WeightsStoreShape, "get">): DataLibrary => {
  const decoded = new Map<string, Promise<Samples>>()
  return {
    samples(workload, topology, contentHashes) {
      const key = `${workload.id}|${JSON.stringify(topology)}|${contentHashes.join(",")}`
      const cached = decoded.get(key)
      if (cached) return cached
      const loading = (async () => {
        const parts: Array<Samples> = []
        for (const hash of contentHashes) parts.push(workload.decode(await shards.get(hash), topology))
        return concatSamples(parts)
      })()
      if (decoded.size >= CACHED_SETS) decoded.delete(decoded.keys().next().value!)
      decoded.set(key, loading)
      loading.catch(() => decoded.delete(key))
      return loading
    }
  }
}
