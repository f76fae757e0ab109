import { startPytorchExecutor, type ExternalExecutor } from "../infra/ml/externalExecutor"
import type { NatsConnection } from "@nats-io/transport-node"
import type { NeuraClient } from "../commands/client"
import type { EventStore } from "../domain/ports"
import type { KeyPair } from "../infra/identity/signature"
import { loadTf } from "../infra/ml/tf"
import { startCoordinator } from "./dispatcher/coordinator"
import type { DataLibrary } from "./infra/dataLibrary"
import type { WorkQueueConfig } from "./infra/workQueue"
import type { WeightsStoreShape } from "../infra/weights/WeightsStore"
import type { TrainerBehaviour } from "./trainer/train"
import { startTrainer } from "./trainer/worker"
import { readyMlThreads, threadsPerCore } from "./threads/pool"
import type { ValidatorBehaviour } from "./validator/verify"
import { startValidator } from "./validator/worker"
import { startWatcher } from "./watcher/watcher"

export interface NodeSpec {
  readonly nodeId: string
  readonly key: KeyPair
  readonly role: "trainer" | "validator"
  /** "offline": the node opted in but no process works its queue (a node that went away). */
  readonly behaviour?: TrainerBehaviour | ValidatorBehaviour | "offline"
  /** Trains (trainer) or also replays (validator) with an external executor: the PyTorch worker. */
  readonly executor?: "pytorch"
  /** Neura it bonds before joining a task (its weight in validator draws); the sample default otherwise. */
  readonly stake?: bigint
  /** A validator that also watches verified results through their challenge window (nodes/watcher). */
  readonly watch?: boolean
}

/**
 * A whole network in one process: the coordinator plus trainer and validator
 * nodes, each with its own identity and work queue, sharing one TF.js
 * runtime. Used by the end-to-end tests and the dev stack's demo; the same
 * workers run as separate processes from nodes/<kind>/main.ts.
 */
export const startLocalNetwork = async (options: {
  readonly nc: NatsConnection
  /** The coordinator's connection and each node's own (its NATS user, `node-<id>`); default: `nc` for all. */
  readonly connections?: { readonly coordinator?: NatsConnection; readonly node?: (node: NodeSpec) => Promise<NatsConnection> }
  readonly store: EventStore["Service"]
  /** Any client of the API; each node re-signs with its own key. */
  readonly client: NeuraClient
  readonly coordinatorKey: KeyPair
  readonly weights: WeightsStoreShape
  /** Where nodes fetch dataset shards (the datasets bucket). */
  readonly data: DataLibrary
  readonly nodes: ReadonlyArray<NodeSpec>
  readonly queue?: WorkQueueConfig
  readonly log?: (line: string) => void
  /** The coordinator's clock (tests move it to make nodes look silent without waiting). */
  readonly coordinatorClock?: () => Date
  /** The referee's executor, for contests over results trained with it. */
  readonly coordinatorExecutor?: "pytorch"
}) => {
  const tf = await loadTf()
  // Trainers train, validators replay and measure, the aggregator measures: on the process's
  // ML threads (ML_THREADS), one pool for all. Nodes are up once the threads have loaded TF.js,
  // as a node process is once it has.
  const log = options.log ?? (() => undefined)
  const threads = await readyMlThreads(threadsPerCore(), log)
  const refereeExecutor = options.coordinatorExecutor === "pytorch" ? await startPytorchExecutor() : undefined
  const data = options.data
  const queue = options.queue ? { queue: options.queue } : {}
  const coordinator = await startCoordinator({
    nc: options.connections?.coordinator ?? options.nc,
    store: options.store,
    client: options.client.as(options.coordinatorKey),
    weights: options.weights,
    data,
    tf: async () => tf,
    ...threads,
    ...(refereeExecutor ? { executor: refereeExecutor } : {}),
    ...queue,
    ...(options.coordinatorClock ? { now: options.coordinatorClock } : {}),
    log: (l) => log(`[coordinator] ${l}`)
  })
  const own: Array<NatsConnection> = []
  const connectionOf = async (n: NodeSpec) => {
    if (!options.connections?.node) return options.nc
    const nc = await options.connections.node(n)
    own.push(nc)
    return nc
  }
  const executors: Array<ExternalExecutor> = []
  const executorOf = async (n: NodeSpec) => {
    if (n.executor !== "pytorch") return {}
    const executor = await startPytorchExecutor()
    executors.push(executor)
    return { executor }
  }
  const workers = await Promise.all(
    options.nodes.filter((n) => n.behaviour !== "offline").map(async (n) =>
      n.role === "trainer"
        ? startTrainer({
            nc: await connectionOf(n),
            nodeId: n.nodeId,
            client: options.client.as(n.key),
            deps: { tf, weights: options.weights, data, behaviour: (n.behaviour as TrainerBehaviour | undefined) ?? "honest", ...threads, ...(await executorOf(n)) },
            ...queue,
            log: (l) => log(`[trainer] ${l}`)
          })
        : startValidator({
            nc: await connectionOf(n),
            nodeId: n.nodeId,
            client: options.client.as(n.key),
            deps: { tf, weights: options.weights, data, behaviour: (n.behaviour as ValidatorBehaviour | undefined) ?? "honest", ...threads, ...(await executorOf(n)) },
            ...queue,
            log: (l) => log(`[validator] ${l}`)
          })
    )
  )
  const watchers = await Promise.all(
    options.nodes
      .filter((n) => n.watch && n.behaviour !== "offline")
      .map(async (n) =>
        // Its own executor: the node's worker uses the other one at the same time.
        startWatcher({ nodeId: n.nodeId, client: options.client.as(n.key), weights: options.weights, data, tf: async () => tf, ...(await executorOf(n)), pollMs: 250, log: (l) => log(`[watcher] ${l}`) })
      )
  )
  return {
    backend: tf.backend,
    coordinator,
    async stop() {
      await Promise.all(watchers.map((w) => w.stop()))
      await Promise.all(workers.map((w) => w.stop()))
      await Promise.all(executors.map((e) => e.close()))
      await coordinator.stop()
      await refereeExecutor?.close()
      await Promise.all(own.map((nc) => nc.close().catch(() => undefined)))
    }
  }
}
