import { Objm } from "@nats-io/obj"
import { connect } from "@nats-io/transport-node"
import { natsOptions } from "../infra/nats/NatsClient"
import { objectName, objectStoreWeights } from "../infra/weights/WeightsStore"
import { compare, interleaved, type BenchResult } from "./stats"

/**
 * Reading weights by content hash (every trainer, judge, juror and the
 * coordinator's aggregation do it each round) vs the object store's own
 * read of the same object, same server, same run. Ours checks the bytes
 * against the hash; the object store checks its own SHA-256 digest.
 */
export const weightsBench = async (url: string, sizes: ReadonlyArray<number> = [10_000, 300_000], reads = 200): Promise<Array<BenchResult>> => {
  const nc = await connect(natsOptions({ servers: url }))
  const bucket = `bench_weights_${Date.now()}`
  const objm = new Objm(nc)
  const raw = await objm.create(bucket)
  const store = await objectStoreWeights(nc, bucket)
  const results: Array<BenchResult> = []
  for (const size of sizes) {
    const hash = await store.put(Uint8Array.from({ length: size }, (_, i) => (i * 31) % 251))
    const perSecond = async (read: () => Promise<unknown>) => {
      const t = performance.now()
      for (let i = 0; i < reads; i++) await read()
      return reads / ((performance.now() - t) / 1000)
    }
    // Warm both, then three alternating runs; each side's median (stats.ts).
    const runs = await interleaved(
      3,
      () => perSecond(() => store.get(hash)),
      () => perSecond(() => raw.getBlob(objectName(hash)))
    )
    results.push(
      compare(`weights.read.${size >= 1000_000 ? `${size / 1_000_000}MB` : `${size / 1000}kB`}`, "reads/s", runs.ours, { name: "object store getBlob (push consumer per object)", value: runs.baseline }, {
        bytes: size,
        reads,
        note: "objects of up to 8 chunks (1 MiB) are read by direct gets: metadata, then each chunk"
      })
    )
  }
  await raw.destroy()
  await nc.close()
  return results
}
