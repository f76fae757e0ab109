import { processLog, apiClient, autoJoinFromEnv, nodeEnvironment, registerSelf, runNodeMain, nodeWeights, nodeData } from "../infra/nodeProcess"
import type { TrainerBehaviour } from "./train"
import { startTrainer } from "./worker"
import { nodeProcessMl } from "../threads/pool"

/** A trainer node process (Model Executor). See nodes/infra/nodeProcess.ts for its environment. */
runNodeMain(
  "trainer",
  async () => {
    const env = nodeEnvironment()
    const nc = await env.connectNats()
    // Steps run on an ML thread (ML_THREADS), so heartbeats and NATS keep flowing while it trains.
    const ml = await nodeProcessMl(processLog("trainer"))
    const client = apiClient(env.apiUrl, env.key)
    const external = await env.executor()
    await registerSelf(client, env.nodeId, ["trainer"], env.capabilities)
    processLog("trainer")(`${env.key.address} on ${external.executor?.backend ?? ml.tf.backend}; waiting for work`)
    const worker = await startTrainer({
      nc,
      nodeId: env.nodeId,
      client,
      deps: { ...ml, weights: await nodeWeights(nc, env.apiUrl, env.key), data: await nodeData(nc), behaviour: env.behaviour as TrainerBehaviour, ...external },
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
