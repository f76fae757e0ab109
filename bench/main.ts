import { cpus } from "node:os"
import { startNatsServer } from "../infra/nats/server"
import { apiBench } from "./api.bench"
import { chainBench } from "./chain.bench"
import { settlementBench } from "./settlement.bench"
import { clusterBench } from "./cluster.bench"
import { memoryBench } from "./memory.bench"
import { durabilityBench } from "./durability.bench"
import { eventStoreBench } from "./eventStore.bench"
import { growingDocumentsBench } from "./growingDocuments.bench"
import { projectionsBench } from "./projections.bench"
import { trainingBench } from "./training.bench"
import { verificationBench } from "./verification.bench"
import { weightsBench } from "./weights.bench"
import { workloadCostBench } from "./workloadCost.bench"
import { workloadBench } from "./workloads.bench"
import type { BenchResult } from "./stats"

/**
 * `npm run bench`: every benchmark against real infrastructure started here
 * (nats-server on a free port, temp store), printed as one JSON document.
 * BENCH_QUICK=1 shrinks the sizes (smoke run).
 */
const quick = process.env.BENCH_QUICK === "1"
const server = await startNatsServer()
const results: Array<BenchResult> = []
try {
  results.push(
    ...(await eventStoreBench(server.url, quick ? { sequential: 300, pipelined: 2000, inFlight: 200 } : undefined))
  )
  results.push(...(await durabilityBench(quick ? { sequential: 200, pipelined: 1000, inFlight: 100 } : undefined)))
  const api = await apiBench(server.url, quick ? { requests: 100, concurrency: 8 } : undefined)
  results.push(...api)
  results.push(...(await clusterBench(quick ? { stallCommands: 600, rate: 100, perApiRun: 300, concurrency: 16 } : undefined)))
  const apiMax = api.find((r) => r.name === "api.signedCommands")?.value
  results.push(...(await projectionsBench(server.url, quick ? { commits: 3000, rate: 50, seconds: 2 } : undefined, apiMax)))
  results.push(...(await growingDocumentsBench(quick ? { payouts: 5_000, versions: 2_000 } : undefined)))
  results.push(...(await weightsBench(server.url, undefined, quick ? 50 : 200)))
  results.push(...(await chainBench(server.url, quick ? [64, 1024] : undefined)))
  results.push(...(await settlementBench(quick ? [8, 64] : undefined, quick ? [1, 16] : undefined)))
  results.push(...(await trainingBench(server.url, quick ? { epochs: 1, target: 0.93 } : undefined)))
  results.push(...(await memoryBench()))
  // Each workload's example on the network vs centralised (BENCH_WORKLOADS=off skips; they take minutes each).
  if (process.env.BENCH_WORKLOADS !== "off") for (const id of ["spam-transformer", "moby-chars", "fashion-cnn", "emoji-clip", "spoken-digits", "warehouse-agent"]) results.push(...(await workloadCostBench(id)), ...(await workloadBench(server.url, id)))
  results.push(...verificationBench(quick ? { results: 1_000, nodes: 300, tasks: 5 } : undefined))
} finally {
  await server.stop()
}
console.log(
  JSON.stringify(
    {
      // execArgv: the node flags the figures were taken with (package.json bench).
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, execArgv: process.execArgv },
      at: new Date().toISOString(),
      quick,
      results
    },
    null,
    2
  )
)
