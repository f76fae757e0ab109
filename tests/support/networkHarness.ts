import { jetstreamManager } from "@nats-io/jetstream"
import { Objm } from "@nats-io/obj"
import { connect } from "@nats-io/transport-node"
import { ApiError, type NeuraClient } from "../../commands/client"
import { EventStore } from "../../domain/ports"
import { loadTf } from "../../infra/ml/tf"
import { natsOptions } from "../../infra/nats/NatsClient"
import { provisionAll } from "../../infra/nats/provision"
import { startLocalNetwork, type NodeSpec } from "../../nodes/localNetwork"
import { objectStoreWeights } from "../../infra/weights/WeightsStore"
import { createDigitsTask, createWorkloadTask, optIn, type WorkloadTaskOptions } from "../../nodes/workloadTask"
import { shardLibrary } from "../../nodes/infra/dataLibrary"
import { devKey, SAMPLE_STAKE } from "../../commands/samples"
import { fundAndDeposit, sponsorDeposit } from "../../commands/deposits"
import type { SettlementTestChain } from "./settlementChain"
import { defaultProtocol, type ProtocolParams } from "../../domain/protocol"
import { apiHarness } from "./apiHarness"
import { uniqueSuffix } from "./jetStreamFixture"
import { isolatedJetStreamLog } from "./jetStreamLayer"

/**
 * A whole isolated network on a real nats-server: its own event log, work
 * queue stream and weights bucket (unique names), the API in-process, the
 * coordinator, and the given nodes. `await using` tears it all down.
 */
export const networkHarness = async (
  url: string,
  nodes: ReadonlyArray<Omit<NodeSpec, "key">>,
  log: Array<string> = [],
  options: {
    readonly coordinatorClock?: () => Date
    /** The API's clock (the time it records commands at); the real one by default. */
    readonly apiClock?: () => Date
    readonly protocol?: Partial<ProtocolParams>
    readonly coordinatorExecutor?: "pytorch"
    /** Settle on chain: budgets and stake deposited into the escrow first, the settlement bridge running. */
    readonly settlement?: SettlementTestChain
  } = {}
) => {
  const id = uniqueSuffix()
  const eventLog = isolatedJetStreamLog(url)
  // A short commit window (a judge that never commits holds reveals back 10 s, not the default
  // minute) and a 1 s challenge window (results become final, and trainers paid, soon after close).
  const nc = await connect(natsOptions({ servers: url }))
  const queue = { streamName: `CMDS_${id}`, subjectPrefix: `c${id}` }
  const bucket = `w${id}`
  const datasetsBucket = `d${id}`
  await provisionAll(nc, eventLog.config, { commands: queue.streamName, commandPrefix: queue.subjectPrefix, weightsBucket: bucket, datasetsBucket })
  const weights = await objectStoreWeights(nc, bucket)
  // The API writes shards into the isolated datasets bucket (PUT /datasets/shards); nodes read them from it.
  const shards = await objectStoreWeights(nc, datasetsBucket)
  const api = await apiHarness(eventLog.layer(), {
    protocol: { ...defaultProtocol, commitSeconds: 10, challengeSeconds: 1, ...options.protocol },
    weights,
    shards,
    ...(options.apiClock ? { now: options.apiClock } : {}),
    ...(options.settlement ? { settlement: options.settlement.api, bridges: [devKey(`${id}-bridge`).address] } : {})
  })
  const store = await api.runtime.runPromise(EventStore.useSync((s) => s))
  const chain = options.settlement
  const settlementBridge = chain ? await chain.startBridge(store, api.client.as(devKey(`${id}-bridge`)), (l) => log.push(`[settlement] ${l}`)) : undefined
  const specs = nodes.map((n) => ({ ...n, key: devKey(`${id}-${n.nodeId}`) }))
  /** On chain: the owner deposits the budget (permit + deposit), the treasury each node's stake for the task; the bridge records them. */
  const backTask = async (taskId: string, budget: bigint) => {
    if (!chain) return
    await fundAndDeposit(api.client, chain.dev, chain.as(api.keys.owner), `task:${taskId}`, budget)
  }
  const backStakes = async () => {
    if (!chain) return
    for (const n of specs) await sponsorDeposit(api.client, chain.dev, `stake:${n.nodeId}`, SAMPLE_STAKE)
  }
  const network = await startLocalNetwork({
    nc,
    store,
    client: api.client,
    coordinatorKey: api.keys.coordinator,
    weights,
    data: shardLibrary(shards),
    nodes: specs,
    queue,
    log: (l) => log.push(l),
    ...(options.coordinatorClock ? { coordinatorClock: options.coordinatorClock } : {}),
    ...(options.coordinatorExecutor ? { coordinatorExecutor: options.coordinatorExecutor } : {})
  })
  return {
    api,
    /** The isolated log's stream and subject prefix (for tests that write around the API). */
    eventLog: eventLog.config,
    nc,
    weights,
    /** The isolated datasets bucket (shards by content hash). */
    shards,
    network,
    log,
    /** A node's signing key (to act as it around its worker, e.g. an attacker's extra attempts). */
    keyOf: (nodeId: string) => specs.find((n) => n.nodeId === nodeId)!.key,
    /** The settlement bridge (when settling on chain) and its signing identity (in the API's BRIDGE_ADDRESSES). */
    settlementBridge,
    bridgeKey: devKey(`${id}-bridge`),
    createTask: async (taskId: string, options: Partial<Parameters<typeof createDigitsTask>[0]> = {}) => {
      const budget = options.budget ?? 10_000_000n
      await backTask(taskId, budget)
      const created = await createDigitsTask({ owner: api.client, weights, tf: await loadTf(), taskId, suffix: id, ...options, budget })
      await backStakes()
      await optIn(api.client, taskId, specs)
      return created
    },
    /** A task of any workload (its public data cut small), every node opted in. */
    createWorkloadTask: async (
      taskId: string,
      options: Omit<WorkloadTaskOptions, "owner" | "weights" | "tf" | "taskId" | "suffix">,
      /** Runs after the task exists and before any node joins (so before round 1 starts). */
      beforeJoin?: (created: Awaited<ReturnType<typeof createWorkloadTask>>) => Promise<void>
    ) => {
      const budget = options.budget ?? 10_000_000n
      await backTask(taskId, budget)
      const created = await createWorkloadTask({ owner: api.client, weights, tf: await loadTf(), taskId, suffix: id, ...options, budget })
      await beforeJoin?.(created)
      await backStakes()
      await optIn(api.client, taskId, specs)
      return created
    },
    /** Poll the log until the task ends (completed or exhausted) and every held reward is settled (final or forfeited). */
    waitForEnd: async (taskId: string, timeoutMs: number) => {
      const until = Date.now() + timeoutMs
      // Until the task ends, its read model's status (one lookup) rather than a scan of every
      // task's events each time: the scans were CPU taken from the nodes sharing this process.
      let ended = false
      while (Date.now() < until) {
        if (!ended) {
          const status = await api.client
            .get(`/tasks/${taskId}`)
            .then((r: { task: { status: string } }) => r.task.status)
            .catch(() => undefined)
          ended = status === "completed" || status === "exhausted"
          if (!ended) {
            await new Promise((r) => setTimeout(r, 250))
            continue
          }
        }
        // A node training in this process can hold the event loop past a log read's timeout: read again.
        const events = await taskEvents(api.client, taskId).catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 503) return undefined
          throw e
        })
        if (!events) {
          await new Promise((r) => setTimeout(r, 250))
          continue
        }
        const end = events.find((e: any) => e.type === "TaskCompleted" || e.type === "TaskExhausted")
        const settled = (id: string) => events.some((e: any) => (e.type === "ResultFinalized" || e.type === "RewardForfeited") && e.data.resultId === id)
        if (end && events.filter((e: any) => e.type === "RewardHeld").every((e: any) => settled(e.data.resultId))) return events
        await new Promise((r) => setTimeout(r, 250))
      }
      throw new Error(`task ${taskId} did not finish in ${timeoutMs} ms:\n${log.slice(-30).join("\n")}`)
    },
    async [Symbol.asyncDispose]() {
      await settlementBridge?.stop()
      await network.stop()
      const jsm = await jetstreamManager(nc)
      await jsm.streams.delete(queue.streamName).catch(() => undefined)
      await new Objm(nc).open(bucket).then((b) => b.destroy()).catch(() => undefined)
      await new Objm(nc).open(datasetsBucket).then((b) => b.destroy()).catch(() => undefined)
      await nc.close()
      await api[Symbol.asyncDispose]()
      await eventLog[Symbol.asyncDispose]()
    }
  }
}

/**
 * A clock that runs with the real one until `jump(ms)` moves it ahead: the
 * coordinator then sees every node's last heartbeat as that much older, so a
 * node that never beats is silent at once, without a test waiting 15 s.
 */
export const jumpingClock = () => {
  let offset = 0
  return {
    now: () => new Date(Date.now() + offset),
    jump: (ms: number) => {
      offset += ms
      return Date.now() + offset
    }
  }
}

/** Resolve once the coordinator has heard every one of these nodes at or after `since` (its clock). */
export const heardFrom = async (coordinator: { readonly lastSeen: ReadonlyMap<string, number> }, nodeIds: ReadonlyArray<string>, since: number) => {
  for (let i = 0; i < 2_000 && !nodeIds.every((n) => (coordinator.lastSeen.get(n) ?? -Infinity) >= since); i++) await new Promise((r) => setTimeout(r, 20))
  if (!nodeIds.every((n) => (coordinator.lastSeen.get(n) ?? -Infinity) >= since)) throw new Error(`no heartbeat from ${nodeIds.join(", ")}`)
}

/** The usual network: two trainers and three validators, all honest. */
export const honestNodes: ReadonlyArray<Omit<NodeSpec, "key">> = [
  { nodeId: "trainerA", role: "trainer" },
  { nodeId: "trainerB", role: "trainer" },
  { nodeId: "validator1", role: "validator" },
  { nodeId: "validator2", role: "validator" },
  { nodeId: "validator3", role: "validator" }
]

/** Every event of the log through GET /events, page by page; `filter` is more of its query (e.g. `aggregate=task`). */
export const logEvents = async (client: NeuraClient, filter = ""): Promise<Array<any>> => {
  const all: Array<any> = []
  let from = 1
  for (;;) {
    const page = await client.get(`/events?${filter ? `${filter}&` : ""}from=${from}&limit=1000`)
    all.push(...page.events)
    if (page.events.length < 1000) break
    from = page.next
  }
  return all
}

export const taskEvents = async (client: NeuraClient, taskId: string): Promise<Array<any>> =>
  (await logEvents(client, "aggregate=task")).filter((e) => e.stream === `task-${taskId}`)

