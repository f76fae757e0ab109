import { Objm } from "@nats-io/obj"
import { connect } from "@nats-io/transport-node"
import { natsOptions } from "../infra/nats/NatsClient"
import { objectName, objectStoreWeights } from "../infra/weights/WeightsStore"
import { compare, type BenchResult } from "./stats"

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
    // Warm both, then interleave three runs and keep the medians.
    await perSecond(() => store.get(hash))
    await perSecond(() => raw.getBlob(objectName(hash)))
    const ours: Array<number> = []
    const base: Array<number> = []
    for (let r = 0; r < 3; r++) {
      ours.push(await perSecond(() => store.get(hash)))
      base.push(await perSecond(() => raw.getBlob(objectName(hash))))
    }
    const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[1]!
    results.push(
      compare(`weights.read.${size >= 1000_000 ? `${size / 1_000_000}MB` : `${size / 1000}kB`}`, "reads/s", median(ours), { name: "object store getBlob (push consumer per object)", value: median(base) }, {
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
