import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Layer, ManagedRuntime } from "effect"
import Fastify from "fastify"
import { inMemoryWeightsStore } from "../infra/weights/WeightsStore"
import { build } from "../commands/app"
import { defaultJetStreamConfig, eventStreamConfig, layerJetStream } from "../infra/eventStore/jetStream"
import { generateKeyPair, signCommand } from "../infra/identity/signature"
import { NatsClient, natsOptions } from "../infra/nats/NatsClient"
import { compare, latencySummary, type BenchResult } from "./stats"

/**
 * Signed commands through the real API (HTTP, signature recovery, Schema
 * decode, read-fold-decide-append on JetStream) vs a bare Fastify route that
 * does one JetStream publish per request. Same server, same client, same
 * concurrency, same run. Bodies are signed before timing starts.
 */
export const apiBench = async (url: string, sizes = { requests: 600, concurrency: 16 }): Promise<Array<BenchResult>> => {
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

  const bodies = Array.from({ length: sizes.requests }, (_, i) => {
    const key = generateKeyPair()
    return signCommand(key, "RegisterNode", { nodeId: `bench${i}`, publicKey: key.publicKey, roles: ["trainer"], capabilities: ["tfjs-wasm"] }, { commandId: `bench-${i}` })
  })
  const drive = async (target: string, sent: ReadonlyArray<{ readonly commandId: string }> = bodies) => {
    const latencies: Array<number> = []
    let next = 0
    let failures = 0
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
    return { rate: sent.length / ((performance.now() - start) / 1000), latency: latencySummary(latencies), failures }
  }
  const ours = await drive(`${apiUrl}/commands/RegisterNode`)
  const baseline = await drive(`${bareUrl}/raw`)
  // A command on one stream (most commands are): RegisterDataset, one read of a new stream and one append.
  const owner = generateKeyPair()
  const datasetBodies = Array.from({ length: sizes.requests }, (_, i) =>
    signCommand(owner, "RegisterDataset", {
      datasetId: `bench-ds-${i}`,
      name: "bench",
      contentHash: `0x${i.toString(16).padStart(64, "0")}`,
      licence: "CC-BY-4.0",
      sampleCount: 100,
      split: "training",
      shards: [{ shardId: `s${i}`, contentHash: `0x${(i + 1).toString(16).padStart(64, "0")}`, sampleCount: 100 }]
    }, { commandId: `bench-ds-${i}` })
  )
  const oneStream = await drive(`${apiUrl}/commands/RegisterDataset`, datasetBodies)
  const bareAgain = await drive(`${bareUrl}/raw`, bodies.map((b) => ({ ...b, commandId: `${b.commandId}-again` })))

  await api.close()
  await runtime.dispose()
  await bare.close()
  await jsm.streams.delete("BENCH_BARE")
  await jsm.streams.delete(config.streamName)
  await nc.close()
  const versusBare = (name: string, run: typeof ours, bare: typeof ours, baselineName: string, note: string) =>
    compare(name, "commands/s", run.rate, { name: baselineName, value: bare.rate }, {
      requests: sizes.requests,
      concurrency: sizes.concurrency,
      ours: { ...run.latency, failures: run.failures },
      bare: { ...bare.latency, failures: bare.failures },
      note
    })
  return [
    versusBare("api.signedCommands", ours, baseline, "fastify route + one jetstream publish", "RegisterNode: secp256k1 signature recovery, Schema decode, two streams read (key binding, node) then two OCC appends"),
    versusBare(
      "api.signedCommands.oneStream",
      oneStream,
      bareAgain,
      "fastify route + one jetstream publish (measured again right after)",
      "RegisterDataset: signature recovery, Schema decode, one stream read (new stream) + decide + one OCC append"
    )
  ]
}
