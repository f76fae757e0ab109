import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Layer, ManagedRuntime } from "effect"
import Fastify from "fastify"
import { inMemoryWeightsStore } from "../infra/weights/WeightsStore"
import { build } from "../commands/app"
import { defaultJetStreamConfig, eventStreamConfig, layerJetStream } from "../infra/eventStore/jetStream"
import { generateKeyPair, signCommand } from "../infra/identity/signature"
import { NatsClient, natsOptions } from "../infra/nats/NatsClient"
import { compare, interleaved, latencySummary, round, type BenchResult } from "./stats"

/**
 * CPU of this process's main thread, µs: where both servers and the HTTP
 * client run (the signature workers and nats-server run elsewhere). Per
 * command it moves less between runs than the rate does on a shared machine.
 */
const mainThreadCpu = (): number => {
  const usage = process.threadCpuUsage()
  return usage.user + usage.system
}

/**
 * Signed commands through the real API (HTTP, signature recovery, Schema
 * decode, read-fold-decide-append on JetStream) vs a bare Fastify route that
 * does one JetStream publish per request. Same server, same client, same
 * concurrency, same run. Bodies are signed before timing starts.
 */
export const apiBench = async (url: string, sizes = { requests: 4500, concurrency: 16 }): Promise<Array<BenchResult>> => {
  const config = { ...defaultJetStreamConfig, streamName: "BENCH_API", subjectPrefix: "benchapi.events" }
  const runtime = ManagedRuntime.make(layerJetStream(config).pipe(Layer.provide(NatsClient.layer({ servers: url }))))
  const api = build(runtime, { weights: inMemoryWeightsStore(), shards: inMemoryWeightsStore() })
  const apiUrl = await api.listen({ port: 0, host: "127.0.0.1" })

  // As every process connects (natsOptions), for ours and the baseline alike.
  const nc = await connect(natsOptions({ servers: url }))
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  await jsm.streams.add(eventStreamConfig({ ...config, streamName: "BENCH_BARE", subjectPrefix: "benchbare.events" }))
  const bare = Fastify()
  bare.post<{ Body: { commandId: string } }>("/raw", async (request) => {
    const ack = await js.publish(`benchbare.events.node.${request.body.commandId}`, JSON.stringify(request.body), { msgID: request.body.commandId })
    return { seq: ack.seq }
  })
  const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" })

  const drive = async (target: string, sent: ReadonlyArray<{ readonly commandId: string }>) => {
    const latencies: Array<number> = []
    let next = 0
    let failures = 0
    const cpuBefore = mainThreadCpu()
    const start = performance.now()
    await Promise.all(
      Array.from({ length: sizes.concurrency }, async () => {
        while (next < sent.length) {
          const body = sent[next++]!
          const t = performance.now()
          const r = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
          await r.arrayBuffer()
          if (r.status >= 300) failures++
          latencies.push(performance.now() - t)
        }
      })
    )
    const rate = sent.length / ((performance.now() - start) / 1000)
    return { rate, latency: latencySummary(latencies), failures, mainThreadMicrosPerCommand: round((mainThreadCpu() - cpuBefore) / sent.length) }
  }
  // Bodies for a warm-up run and three measured runs of each command, signed before timing starts.
  const perRun = Math.max(1, Math.round(sizes.requests / 3))
  const runs = [0, 1, 2, 3]
  const nodeBodies = runs.map((run) =>
    Array.from({ length: run === 0 ? Math.ceil(perRun / 2) : perRun }, (_, i) => {
      const key = generateKeyPair()
      return signCommand(key, "RegisterNode", { nodeId: `bench${run}x${i}`, publicKey: key.publicKey, roles: ["trainer"], capabilities: ["tfjs-wasm"] }, { commandId: `bench-${run}-${i}` })
    })
  )
  // A command on one stream (most commands are): RegisterDataset, one read of a new stream and one append.
  const owner = generateKeyPair()
  const datasetBodies = runs.map((run) =>
    Array.from({ length: run === 0 ? Math.ceil(perRun / 2) : perRun }, (_, i) =>
      signCommand(owner, "RegisterDataset", {
        datasetId: `bench-ds-${run}-${i}`,
        name: "bench",
        contentHash: `0x${(run * 100_000 + i).toString(16).padStart(64, "0")}`,
        licence: "CC-BY-4.0",
        sampleCount: 100,
        split: "training",
        shards: [{ shardId: `s${run}x${i}`, contentHash: `0x${(run * 100_000 + i + 1).toString(16).padStart(64, "0")}`, sampleCount: 100 }]
      }, { commandId: `bench-ds-${run}-${i}` })
    )
  )
  type Run = Awaited<ReturnType<typeof drive>>
  const measured = async (target: string, bodiesOf: (run: number) => ReadonlyArray<{ readonly commandId: string }>, bareTag: string) => {
    const kept: { ours: Array<Run>; bare: Array<Run> } = { ours: [], bare: [] }
    const figures = await interleaved(
      3,
      async (run) => {
        const r = await drive(target, bodiesOf(run))
        if (run > 0) kept.ours.push(r)
        return r.rate
      },
      async (run) => {
        const r = await drive(`${bareUrl}/raw`, bodiesOf(run).map((b) => ({ ...b, commandId: `${b.commandId}-${bareTag}` })))
        if (run > 0) kept.bare.push(r)
        return r.rate
      }
    )
    // The run whose rate is the median, for its latencies.
    const at = (xs: Array<Run>, rate: number) => xs.find((x) => x.rate === rate) ?? xs[0]!
    return { ours: at(kept.ours, figures.ours), bare: at(kept.bare, figures.baseline), runs: figures.runs }
  }
  const nodeRuns = await measured(`${apiUrl}/commands/RegisterNode`, (run) => nodeBodies[run]!, "node")
  const datasetRuns = await measured(`${apiUrl}/commands/RegisterDataset`, (run) => datasetBodies[run]!, "dataset")
  const ours = nodeRuns.ours
  const baseline = nodeRuns.bare
  const oneStream = datasetRuns.ours
  const bareAgain = datasetRuns.bare

  await api.close()
  await runtime.dispose()
  await bare.close()
  await jsm.streams.delete("BENCH_BARE")
  await jsm.streams.delete(config.streamName)
  await nc.close()
  const versusBare = (name: string, run: typeof ours, bare: typeof ours, baselineName: string, note: string, runs: typeof nodeRuns.runs) =>
    compare(name, "commands/s", run.rate, { name: baselineName, value: bare.rate }, {
      requests: perRun,
      concurrency: sizes.concurrency,
      runs,
      statistic: "median of 3 interleaved runs after one warm-up run each (latencies: the median run's)",
      ours: { ...run.latency, failures: run.failures, mainThreadMicrosPerCommand: run.mainThreadMicrosPerCommand },
      bare: { ...bare.latency, failures: bare.failures, mainThreadMicrosPerCommand: bare.mainThreadMicrosPerCommand },
      note: `${note}. mainThreadMicrosPerCommand: this process's main-thread CPU per command (the server and the HTTP client both run on it; signature workers and nats-server do not)`
    })
  return [
    versusBare("api.signedCommands", ours, baseline, "fastify route + one jetstream publish", "RegisterNode: secp256k1 signature recovery, Schema decode, two streams read (key binding, node) then two OCC appends", nodeRuns.runs),
    versusBare(
      "api.signedCommands.oneStream",
      oneStream,
      bareAgain,
      "fastify route + one jetstream publish (interleaved with these runs)",
      "RegisterDataset: signature recovery, Schema decode, one stream read (new stream) + decide + one OCC append",
      datasetRuns.runs
    )
  ]
}
