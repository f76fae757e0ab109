import { onEventLoop } from "../../infra/ml/tf"
import { processLog, apiClient, autoJoinFromEnv, nodeEnvironment, registerSelf, runNodeMain, nodeWeights, nodeData } from "../infra/nodeProcess"
import type { ValidatorBehaviour } from "./verify"
import { startValidator } from "./worker"
import { startWatcher } from "../watcher/watcher"
import { nodeProcessMl } from "../threads/pool"

/** A validator node process (Verifier Engine). See nodes/infra/nodeProcess.ts for its environment. */
runNodeMain(
  "validator",
  async () => {
    const env = nodeEnvironment()
    const nc = await env.connectNats()
    // Replays and measurements run on an ML thread (ML_THREADS), so heartbeats and NATS keep flowing meanwhile.
    const ml = await nodeProcessMl(processLog("validator"))
    const client = apiClient(env.apiUrl, env.key)
    const external = await env.executor()
    await registerSelf(client, env.nodeId, ["validator"], env.capabilities)
    processLog("validator")(`${env.key.address} on ${ml.tf.backend}; waiting for work`)
    const weights = await nodeWeights(nc, env.apiUrl, env.key)
    const data = await nodeData(nc)
    const worker = await startValidator({
      nc,
      nodeId: env.nodeId,
      client,
      deps: { ...ml, weights, data, behaviour: env.behaviour as ValidatorBehaviour, ...external },
      log: processLog("validator")
    })
    // NODE_WATCH=true: also watch results through their challenge window, following the log through the API.
    // The watcher runs beside the worker: its own executor (an executor holds one model at a time).
    const watcherExternal = env.watch ? await env.executor() : {}
    const watcher = env.watch ? await startWatcher({ nodeId: env.nodeId, client, weights, data, tf: () => onEventLoop(ml.tf), ...watcherExternal, log: processLog("watcher") }) : undefined
    const joiner = await autoJoinFromEnv(env, client, "validator")
    return { nc, worker, watcher, external, watcherExternal, joiner }
  },
  async ({ nc, worker, watcher, external, watcherExternal, joiner }) => {
    await joiner?.stop()
    await watcher?.stop()
    await worker.stop()
    await external.executor?.close()
    await watcherExternal.executor?.close()
    await nc.drain()
  }
)
