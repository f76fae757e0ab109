import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { natsOptions } from "../infra/nats/NatsClient"
import { Effect, Stream } from "effect"
import { toEventStore } from "../infra/eventStore/backend"
import { defaultJetStreamConfig, eventStreamConfig, JetStreamLog } from "../infra/eventStore/jetStream"
import type { DomainEvent } from "../domain/events"
import type { Address, TaskId } from "../domain/primitives"
import { rawOrderedRead } from "./rawRead"
import { compare, latencySummary, type BenchResult } from "./stats"

/**
 * Event store on JetStream vs raw JetStream, same server, same run:
 * - append one at a time (OCC + msgID + hash chain) vs a raw publish with msgID;
 * - append pipelined (many in flight) vs raw publishes in flight;
 * - full replay through readAll (decode + Schema) vs a raw ordered consumer.
 */
const event = (i: number): DomainEvent => ({
  _tag: "BudgetEscrowed",
  taskId: `T${i}` as TaskId,
  owner: `0x${"ab".repeat(20)}` as Address,
  amount: 1_000_000n + BigInt(i),
  escrowedAt: "2026-11-24T10:00:00.000Z"
})

export const eventStoreBench = async (url: string, sizes = { sequential: 3000, pipelined: 20000, inFlight: 1000 }): Promise<Array<BenchResult>> => {
  // As every process connects (natsOptions), for ours and the baseline alike.
  const nc = await connect(natsOptions({ servers: url }))
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  const config = { ...defaultJetStreamConfig, streamName: "BENCH_EVENTS", subjectPrefix: "bench.events" }
  const log = await JetStreamLog.open(nc, config)
  const store = toEventStore(log)
  await jsm.streams.add({ ...eventStreamConfig({ ...config, streamName: "BENCH_RAW", subjectPrefix: "bench.raw" }) })
  // Same payload size for the raw baseline as one sealed commit.
  const sample = new TextEncoder().encode(JSON.stringify({ events: [{ ...event(0), amount: "1000000" }] }).padEnd(560, " "))
  const results: Array<BenchResult> = []

  // -- one at a time ---------------------------------------------------------
  const ours: Array<number> = []
  let t0 = performance.now()
  for (let i = 0; i < sizes.sequential; i++) {
    const s = performance.now()
    await Effect.runPromise(store.append({ stream: `ledger-S${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `s-${i}` }))
    ours.push(performance.now() - s)
  }
  const oursRate = sizes.sequential / ((performance.now() - t0) / 1000)
  const raw: Array<number> = []
  t0 = performance.now()
  for (let i = 0; i < sizes.sequential; i++) {
    const s = performance.now()
    await js.publish(`bench.raw.ledger.S${i}`, sample, { msgID: `s-${i}`, expect: { lastSubjectSequence: 0 } })
    raw.push(performance.now() - s)
  }
  const rawRate = sizes.sequential / ((performance.now() - t0) / 1000)
  results.push(
    compare("eventStore.append.sequential", "appends/s", oursRate, { name: "jetstream.publish.sequential (msgID + expected subject seq)", value: rawRate }, {
      ours: latencySummary(ours),
      raw: latencySummary(raw),
      count: sizes.sequential
    })
  )

  // -- pipelined ---------------------------------------------------------------
  const runWindowed = async (n: number, inFlight: number, f: (i: number) => Promise<unknown>) => {
    let next = 0
    const start = performance.now()
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n) await f(next++)
      })
    )
    return n / ((performance.now() - start) / 1000)
  }
  const pipelined = await runWindowed(sizes.pipelined, sizes.inFlight, (i) =>
    Effect.runPromise(store.append({ stream: `ledger-P${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `p-${i}` }))
  )
  const rawPipelined = await runWindowed(sizes.pipelined, sizes.inFlight, (i) =>
    js.publish(`bench.raw.ledger.P${i}`, sample, { msgID: `p-${i}`, expect: { lastSubjectSequence: 0 } })
  )
  results.push(
    compare("eventStore.append.pipelined", "appends/s", pipelined, { name: "jetstream.publish.pipelined", value: rawPipelined }, {
      inFlight: sizes.inFlight,
      count: sizes.pipelined
    })
  )

  // -- full replay -----------------------------------------------------------
  const total = sizes.sequential + sizes.pipelined
  // Two passes each (as projections.replay): the first is cold (JIT), the
  // second the steady state a long replay runs at; the ratio is of the second.
  const replay = async () => {
    const t = performance.now()
    let n = 0
    await Effect.runPromise(Stream.runForEach(store.readAll(), () => Effect.sync(() => void n++)))
    return { rate: n / ((performance.now() - t) / 1000), n }
  }
  const rawReplay = () => rawOrderedRead(js, config.streamName)
  const cold = await replay()
  const coldRaw = await rawReplay()
  const { rate: replayRate, n: replayed } = await replay()
  const rawReplayRate = await rawReplay()
  results.push(
    compare("eventStore.readAll.replay", "events/s", replayRate, { name: "jetstream.orderedConsumer.read (no decode)", value: rawReplayRate }, {
      events: replayed,
      expected: total,
      coldFirstPass: { ours: Math.round(cold.rate), baseline: Math.round(coldRaw), ratio: Number((cold.rate / coldRaw).toFixed(3)) }
    })
  )

  await jsm.streams.delete("BENCH_RAW")
  await jsm.streams.delete(config.streamName)
  await nc.close()
  return results
}
