import { deferredTf, loadTf } from "../../infra/ml/tf"
import { processLog, apiClient, autoJoinFromEnv, nodeEnvironment, registerSelf, runNodeMain, nodeWeights, nodeData } from "../infra/nodeProcess"
import type { TrainerBehaviour } from "./train"
import { startTrainer } from "./worker"
import { readyMlThreads } from "../threads/pool"

/** A trainer node process (Model Executor). See nodes/infra/nodeProcess.ts for its environment. */
runNodeMain(
  "trainer",
  async () => {
    const env = nodeEnvironment()
    const nc = await env.connectNats()
    // Steps run on an ML thread (ML_THREADS), so heartbeats and NATS keep flowing while it trains;
    // TF.js loads on the event loop only for work that must run there (deferredTf).
    const threads = await readyMlThreads(1, processLog("trainer"))
    const tf = threads.threads?.backend ? deferredTf(threads.threads.backend) : await loadTf()
    const client = apiClient(env.apiUrl, env.key)
    const external = await env.executor()
    await registerSelf(client, env.nodeId, ["trainer"], env.capabilities)
    processLog("trainer")(`${env.key.address} on ${external.executor?.backend ?? tf.backend}; waiting for work`)
    const worker = await startTrainer({
      nc,
      nodeId: env.nodeId,
      client,
      deps: { tf, weights: await nodeWeights(nc, env.apiUrl, env.key), data: await nodeData(nc), behaviour: env.behaviour as TrainerBehaviour, ...threads, ...external },
      log: processLog("trainer")
    })
    const joiner = await autoJoinFromEnv(env, client, "trainer")
    return { nc, worker, external, joiner }
  },
  async ({ nc, worker, external, joiner }) => {
    await joiner?.stop()
    await worker.stop()
    await external.executor?.close()
    await nc.drain()
  }
)
