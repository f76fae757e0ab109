import { connect } from "@nats-io/transport-node"
import { readFileSync } from "node:fs"
import { httpTransport, NeuraClient } from "../commands/client"
import { devKey } from "../infra/identity/devKeys"
import { loadTf } from "../infra/ml/tf"
import { provisionAll } from "../infra/nats/provision"
import { freePort, startNatsServer } from "../infra/nats/server"
import { processGroup } from "../infra/processGroup"
import { objectStoreWeights } from "../infra/weights/WeightsStore"
import { createDigitsTask, optIn } from "../nodes/workloadTask"
import { taskEvents } from "../tests/support/networkHarness"
import { round, type BenchResult } from "./stats"

/** A process's resident memory in MiB, from /proc (Linux); undefined elsewhere or once it has exited. */
const rssMiB = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kb === undefined ? undefined : round(Number(kb) / 1024, 1)
  } catch {
    return undefined
  }
}

/**
 * Memory at steady state of the deployable shape: the API, the coordinator,
 * two trainers and three validators as their own OS processes (their
 * `main.ts`, on their own nats-server), after they ran a digits task to its
 * end. No baseline: issue #15 asks for the figures "for the record".
 */
export const memoryBench = async (): Promise<ReadonlyArray<BenchResult>> => {
  const server = await startNatsServer({ private: true })
  const group = processGroup(server.url)
  const nc = await connect({ servers: server.url })
  try {
    await provisionAll(nc)
    const apiUrl = await group.api(await freePort())
    const nodes = [
      { nodeId: "m-trainerA", role: "trainer" as const },
      { nodeId: "m-trainerB", role: "trainer" as const },
      { nodeId: "m-validator1", role: "validator" as const },
      { nodeId: "m-validator2", role: "validator" as const },
      { nodeId: "m-validator3", role: "validator" as const }
    ]
    group.network(apiUrl, nodes)
    const owner = new NeuraClient(httpTransport(apiUrl), devKey("m-owner"))
    await group.waitFor("nodes registered", async () => (await owner.get("/events?aggregate=node&limit=100")).events.length >= nodes.length, 60_000)
    await createDigitsTask({ owner, weights: await objectStoreWeights(nc), tf: await loadTf(), taskId: "MEM1", suffix: "m", target: 0.9, maxRounds: 5 })
    await optIn(owner, "MEM1", nodes.map((n) => ({ ...n, key: devKey(n.nodeId) })))
    await group.waitFor(
      "task MEM1 ended",
      async () => (await taskEvents(owner, "MEM1")).some((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted"),
      120_000
    )
    const pidOf = (name: string) => group.started.find((s) => s.name === name)?.child.pid
    const rss = Object.fromEntries(["api", "coordinator", ...nodes.map((n) => n.nodeId)].map((name) => [name, rssMiB(pidOf(name))]))
    const note = "VmRSS after the processes ran a digits task to its end (2 trainers, 3 validators, their own OS processes)"
    return [
      { name: "memory.api.rssMiB", value: rss.api ?? NaN, unit: "MiB", details: { note, all: rss } },
      { name: "memory.trainer.rssMiB", value: rss["m-trainerA"] ?? NaN, unit: "MiB", details: { note, other: rss["m-trainerB"] } }
    ]
  } finally {
    group.killAll()
    await nc.close()
    await server.stop()
  }
}
