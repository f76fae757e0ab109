import { connect } from "@nats-io/transport-node"
import { natsOptions } from "../infra/nats/NatsClient"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { DomainEvent } from "../domain/events"
import type { Address, TaskId } from "../domain/primitives"
import { toEventStore } from "../infra/eventStore/backend"
import { defaultJetStreamConfig, JetStreamLog } from "../infra/eventStore/jetStream"
import { startNatsServer } from "../infra/nats/server"
import { compare, latencySummary, type BenchResult } from "./stats"

/**
 * What durability costs: the same appends on a server that fsyncs every write
 * before acknowledging it (`sync_interval: always`, as nats.conf runs the
 * log) beside the default periodic sync (every 2 minutes), same run.
 */
const event = (i: number): DomainEvent => ({
  _tag: "BudgetEscrowed",
  taskId: `T${i}` as TaskId,
  owner: `0x${"ab".repeat(20)}` as Address,
  amount: BigInt(i + 1),
  escrowedAt: "2026-11-24T10:00:00.000Z"
})

const appendRate = async (url: string, count: number, inFlight: number) => {
  // As every process connects (natsOptions), for ours and the baseline alike.
  const nc = await connect(natsOptions({ servers: url }))
  const store = toEventStore(await JetStreamLog.open(nc, { ...defaultJetStreamConfig, streamName: "BENCH_SYNC", subjectPrefix: "benchsync.events" }))
  const latencies: Array<number> = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++
        const s = performance.now()
        await Effect.runPromise(store.append({ stream: `ledger-D${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `d-${i}` }))
        latencies.push(performance.now() - s)
      }
    })
  )
  const rate = count / ((performance.now() - t0) / 1000)
  await nc.close()
  return { rate, latency: latencySummary(latencies) }
}

export const durabilityBench = async (sizes = { sequential: 1000, pipelined: 5000, inFlight: 200 }): Promise<Array<BenchResult>> => {
  const dir = mkdtempSync(join(tmpdir(), "neuralink-bench-sync-"))
  const config = join(dir, "sync-always.conf")
  writeFileSync(config, "jetstream {\n  store_dir: $NATS_STORE_DIR\n  sync_interval: always\n}\n")
  const always = await startNatsServer({ private: true, configFile: config })
  const periodic = await startNatsServer({ private: true })
  try {
    const results: Array<BenchResult> = []
    for (const [label, count, inFlight] of [
      ["sequential", sizes.sequential, 1],
      ["pipelined", sizes.pipelined, sizes.inFlight]
    ] as const) {
      const base = await appendRate(periodic.url, count, inFlight)
      const synced = await appendRate(always.url, count, inFlight)
      results.push(
        compare(`eventStore.append.${label}.syncAlways`, "appends/s", synced.rate, { name: `eventStore.append.${label} with periodic fsync (default)`, value: base.rate }, {
          syncAlways: synced.latency,
          periodic: base.latency,
          count,
          inFlight
        })
      )
    }
    return results
  } finally {
    await always.stop()
    await periodic.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
