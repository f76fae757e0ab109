import { Effect, Layer, ManagedRuntime } from "effect"
import { EventStore } from "../../domain/ports"
import { EventStoreFromEnv } from "../../infra/eventStore"
import { loadTf } from "../../infra/ml/tf"
import { processLog, apiClient, nodeEnvironment, runNodeMain, nodeWeights, nodeData } from "../infra/nodeProcess"
import { startCoordinator } from "./coordinator"

/**
 * The coordinator process (Task Dispatcher + aggregator), NATS role
 * `coordinator`. Its key must be in the API's COORDINATOR_ADDRESSES.
 * NODE_ID names it in logs; NODE_SECRET / NODE_DEV_KEY is its signing key.
 */
runNodeMain(
  "coordinator",
  async () => {
    const env = nodeEnvironment()
    const nc = await env.connectNats()
    const runtime = ManagedRuntime.make(EventStoreFromEnv("coordinator") as Layer.Layer<EventStore, unknown>)
    const store = await runtime.runPromise(EventStore.useSync((s) => s))
    const external = await env.executor()
    processLog("coordinator")(`${env.key.address}; following the log${external.executor ? ` (referee replays ${external.executor.backend} too)` : ""}`)
    const coordinator = await startCoordinator({
      nc,
      store,
      client: apiClient(env.apiUrl, env.key),
      weights: await nodeWeights(nc, env.apiUrl, env.key),
      data: await nodeData(nc),
      tf: () => loadTf(),
      ...external,
      log: processLog("coordinator")
    })
    return { nc, runtime, coordinator, external }
  },
  async ({ nc, runtime, coordinator, external }) => {
    await coordinator.stop()
    await external.executor?.close()
    await Effect.runPromise(Effect.promise(() => runtime.dispose()))
    await nc.drain()
  }
)
