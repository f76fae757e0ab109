import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { natsOptions } from "../infra/nats/NatsClient"
import { Effect, Stream } from "effect"
import { toEventStore } from "../infra/eventStore/backend"
import { defaultJetStreamConfig, eventStreamConfig, JetStreamLog } from "../infra/eventStore/jetStream"
import type { DomainEvent } from "../domain/events"
import type { Address, TaskId } from "../domain/primitives"
import { chainVerifier, type ChainBreak } from "../infra/eventStore/hashChain"
import { verifyWholeLog } from "../infra/eventStore/wholeLog"
import { hashCheckThreads } from "../infra/eventStore/hashCheckPool"
import type { EventStore } from "../domain/ports"
import { rawOrderedRead } from "./rawRead"
import { appendStages, replayStages, storedBatchStage, storedMessages, verifyStage, withCpu } from "./costBreakdown"
import { compare, interleaved, latencySummary, median, round, type BenchResult } from "./stats"

/**
 * Event store on JetStream vs raw JetStream, same server, same run:
 * - append one at a time (OCC + msgID + hash chain) vs a raw publish with msgID;
 * - append pipelined (many in flight) vs raw publishes in flight;
 * - full replay through readAll (decode + Schema) vs a raw ordered consumer;
 * - the same replay verifying every hash and link vs the same raw read.
 */
const event = (i: number): DomainEvent => ({
  _tag: "BudgetEscrowed",
  taskId: `T${i}` as TaskId,
  owner: `0x${"ab".repeat(20)}` as Address,
  amount: 1_000_000n + BigInt(i),
  escrowedAt: "2026-11-24T10:00:00.000Z"
})

/** A replay's first (cold) pass of each side, as printed beside its steady figure. */
const coldPass = (warmUp: { readonly ours: number; readonly baseline: number }) => ({
  ours: Math.round(warmUp.ours),
  baseline: Math.round(warmUp.baseline),
  ratio: Number((warmUp.ours / warmUp.baseline).toFixed(3))
})

/** Measured runs of each side (after one warm-up run each). */
const RUNS = 5

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
  // Warm-up runs of each, then five runs of each alternating (stats.ts `interleaved`): with
  // three, the ratio moved by a fifth between whole runs of the bench on this shared machine.
  const perRun = Math.max(1, Math.round(sizes.sequential / 3))
  const ours: Array<number> = []
  const raw: Array<number> = []
  const sequentially = async (n: number, f: (i: number) => Promise<unknown>, latencies?: Array<number>) => {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      const s = performance.now()
      await f(i)
      latencies?.push(performance.now() - s)
    }
    return n / ((performance.now() - t0) / 1000)
  }
  const sequential = await interleaved(
    RUNS,
    (run) =>
      sequentially(perRun, (i) =>
        Effect.runPromise(store.append({ stream: `ledger-S${run}x${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `s-${run}-${i}` }))
      , run > 0 ? ours : undefined),
    (run) => sequentially(perRun, (i) => js.publish(`bench.raw.ledger.S${run}x${i}`, sample, { msgID: `s-${run}-${i}`, expect: { lastSubjectSequence: 0 } }), run > 0 ? raw : undefined)
  )
  results.push(
    compare("eventStore.append.sequential", "appends/s", sequential.ours, { name: "jetstream.publish.sequential (msgID + expected subject seq)", value: sequential.baseline }, {
      ours: latencySummary(ours),
      raw: latencySummary(raw),
      count: perRun,
      runs: sequential.runs,
      statistic: `median of ${RUNS} interleaved runs after one warm-up run each`
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
  const perPipelinedRun = Math.max(sizes.inFlight, Math.round(sizes.pipelined / 3))
  // This process's CPU per append, each run's (the runs are CPU-bound on the client here).
  const cpu = { ours: [] as Array<number>, raw: [] as Array<number> }
  const cpuOf = async (into: Array<number>, run: number, rate: () => Promise<number>) => {
    const { result, cpuMicros } = await withCpu(perPipelinedRun, rate)
    if (run > 0) into.push(cpuMicros)
    return result
  }
  const pipelined = await interleaved(
    RUNS,
    (run) =>
      cpuOf(cpu.ours, run, () =>
        runWindowed(perPipelinedRun, sizes.inFlight, (i) =>
          Effect.runPromise(store.append({ stream: `ledger-P${run}x${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `p-${run}-${i}` }))
        )
      ),
    (run) =>
      cpuOf(cpu.raw, run, () =>
        runWindowed(perPipelinedRun, sizes.inFlight, (i) => js.publish(`bench.raw.ledger.P${run}x${i}`, sample, { msgID: `p-${run}-${i}`, expect: { lastSubjectSequence: 0 } }))
      )
  )
  results.push(
    compare("eventStore.append.pipelined", "appends/s", pipelined.ours, { name: "jetstream.publish.pipelined", value: pipelined.baseline }, {
      inFlight: sizes.inFlight,
      count: perPipelinedRun,
      runs: pipelined.runs,
      statistic: `median of ${RUNS} interleaved runs after one warm-up run each`
    })
  )

  // -- full replay -----------------------------------------------------------
  const total = (RUNS + 1) * (perRun + perPipelinedRun)
  // The first pass of each is cold (JIT), printed beside; the figure is the
  // steady state a long replay runs at: medians of RUNS alternating passes.
  let replayed = 0
  const replay = async () => {
    const t = performance.now()
    let n = 0
    // As the projector reads: a batch per step.
    await Effect.runPromise(Stream.runForEachArray(store.readAll(), (events) => Effect.sync(() => void (n += events.length))))
    replayed = n
    return n / ((performance.now() - t) / 1000)
  }
  const passes = await interleaved(RUNS, replay, () => rawOrderedRead(js, config.streamName))
  results.push(
    compare("eventStore.readAll.replay", "events/s", passes.ours, { name: "jetstream.orderedConsumer.read (no decode)", value: passes.baseline }, {
      events: replayed,
      expected: total,
      runs: passes.runs,
      statistic: `median of ${RUNS} alternating passes after one cold pass each`,
      coldFirstPass: coldPass(passes.warmUp)
    })
  )

  // -- full replay, every hash checked ----------------------------------------
  // The "log replay (decode + hash verify)": the log as stored, every
  // message decoded and Schema-checked as the replay above, each event's hash
  // recomputed from its stored bytes (storedText.ts) and its link to the one
  // before checked, by what GET /events/verify runs (wholeLog.ts
  // verifyWholeLog: the event loop reads the stored bytes, a worker thread
  // decodes and verifies each batch: storedLogCheck.ts). Printed beside: the
  // same decoding on the event loop with the hashing on a worker thread (how
  // adapters without stored bytes are verified: parallelVerifier.ts), and
  // everything on the event loop (hashChain.ts chainVerifier).
  const verifiedReplay = async (from: EventStore["Service"] = store) => {
    const t = performance.now()
    const verified = await Effect.runPromise(verifyWholeLog(from))
    if (!verified.ok) throw new Error(`the bench's log does not verify: ${JSON.stringify(verified.break)}`)
    return verified.verified / ((performance.now() - t) / 1000)
  }
  const verifiedOnTheEventLoop = async () => {
    const t = performance.now()
    const verifier = chainVerifier()
    let broken: ChainBreak | undefined
    await Effect.runPromise(
      Stream.runForEachArray(store.readLog(), (entries) =>
        Effect.sync(() => {
          for (const entry of entries) if (entry._tag === "Commit") for (const e of entry.events) broken ??= verifier.push(e)
        })
      )
    )
    if (broken) throw new Error(`the bench's log does not verify: ${JSON.stringify(broken)}`)
    return verifier.verified / ((performance.now() - t) / 1000)
  }
  const verifiedPasses = await interleaved(RUNS, () => verifiedReplay(), () => rawOrderedRead(js, config.streamName))
  const onTheEventLoop = await interleaved(3, verifiedOnTheEventLoop, () => rawOrderedRead(js, config.streamName))
  const decodedHere = await interleaved(3, () => verifiedReplay({ ...store, readStoredLog: undefined }), () => rawOrderedRead(js, config.streamName))
  results.push(
    compare("eventStore.readAll.verifiedReplay", "events/s", verifiedPasses.ours, { name: "jetstream.orderedConsumer.read (no decode)", value: verifiedPasses.baseline }, {
      events: replayed,
      runs: verifiedPasses.runs,
      statistic: `median of ${RUNS} alternating passes after one cold pass each`,
      coldFirstPass: coldPass(verifiedPasses.warmUp),
      decodingOnTheEventLoop: { eventsPerSecond: Math.round(decodedHere.ours), ratio: round(decodedHere.ours / decodedHere.baseline, 3), statistic: "median of 3 alternating passes after one cold pass each" },
      hashingOnTheEventLoop: { eventsPerSecond: Math.round(onTheEventLoop.ours), ratio: round(onTheEventLoop.ours / onTheEventLoop.baseline, 3), statistic: "median of 3 alternating passes after one cold pass each" },
      workerThreads: hashCheckThreads(),
      note: "the log as stored (readStoredLog, what GET /events/verify reads on JetStream): the event loop reads each message's bytes, a worker thread decodes and Schema-checks them as the replay above, recomputes every event's hash from its stored bytes and links it to the one before (storedLogCheck.ts). decodingOnTheEventLoop: the log read decoded (readLog, as adapters without stored bytes are verified), only the hashing on a worker thread (parallelVerifier.ts). hashingOnTheEventLoop: everything on the event loop"
    })
  )

  // -- where the time goes ----------------------------------------------------
  const oursCpu = median(cpu.ours)
  const rawCpu = median(cpu.raw)
  const appendCost = await appendStages(5000, (i) => ({ stream: `ledger-C${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `c-${i}` }))
  results.push(
    compare("eventStore.append.pipelined.cpuPerAppend", "µs of this process's CPU per append", oursCpu, { name: "the same per raw publish (the pipelined runs above)", value: rawCpu }, {
      stages: appendCost,
      rest: round(oursCpu - rawCpu - appendCost.prepareAppend - appendCost.seal),
      bestRatio: round(rawCpu / (rawCpu + appendCost.prepareAppend + appendCost.seal), 3),
      runs: { ours: cpu.ours.map((x) => round(x)), raw: cpu.raw.map((x) => round(x)) },
      note: "lower is better. stages: each timed alone over 5,000 appends (medians of 5 passes). rest = ours − raw − stages: the store's promises, its bookkeeping of the chain's head and streams, GC. bestRatio: the pipelined row's ratio if the CPU were all that mattered and rest were 0"
    })
  )
  const replayCost = replayStages(await storedMessages(js, config.streamName))
  const verifyMicros = verifyStage(replayCost.log)
  const batchMicros = storedBatchStage(replayCost.log)
  const rawMicros = 1e6 / passes.baseline
  const decodeMicros = Object.values(replayCost.stages).reduce((a, b) => a + b, 0)
  results.push(
    compare("eventStore.readAll.replay.microsPerEvent", "µs per event", 1e6 / passes.ours, { name: "µs per message of the raw ordered read (the replay row's baseline)", value: rawMicros }, {
      events: replayCost.log.events,
      stages: replayCost.stages,
      verifyStage: verifyMicros,
      storedBatchStage: batchMicros,
      keepStoredBytes: replayCost.keepStoredBytes,
      verifiedReplayMicros: round(1e6 / verifiedPasses.ours),
      rest: round(1e6 / passes.ours - rawMicros - decodeMicros),
      bestRatio: {
        replay: round(rawMicros / (rawMicros + decodeMicros), 3),
        verifiedReplayHashingOnTheEventLoop: round(rawMicros / (rawMicros + decodeMicros + replayCost.keepStoredBytes + verifyMicros), 3),
        verifiedReplayOnAThread: round(rawMicros / Math.max(rawMicros, batchMicros), 3)
      },
      note: "lower is better. stages: each timed alone over every stored message, held in memory (medians of 5 passes). rest = ours − raw − stages: the readers' batching and Effect stream around them. keepStoredBytes and verifyStage: what verifying on the event loop adds to decoding (it keeps each event's stored bytes beside it; the replay does not). storedBatchStage: the verified replay's worker thread per event, decoding and verifying (storedLogCheck.ts), timed here in-process. bestRatio: the replay rows' ratios if rest were 0; verifiedReplayOnAThread: the verified replay row's if the event loop's read and the worker thread's storedBatchStage overlapped fully on cores of their own (nats-server shares the same two here)"
    })
  )

  await jsm.streams.delete("BENCH_RAW")
  await jsm.streams.delete(config.streamName)
  await nc.close()
  return results
}
