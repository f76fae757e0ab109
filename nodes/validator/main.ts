import { loadTf } from "../../infra/ml/tf"
import { digitsLibrary } from "../infra/dataLibrary"
import { apiClient, nodeEnvironment, registerSelf, runNodeMain, nodeWeights } from "../infra/nodeProcess"
import type { ValidatorBehaviour } from "./verify"
import { startValidator } from "./worker"

/** A validator node process (Verifier Engine). See nodes/infra/nodeProcess.ts for its environment. */
runNodeMain(
  "validator",
  async () => {
    const env = nodeEnvironment()
    const nc = await env.connectNats()
    const tf = await loadTf()
    const client = apiClient(env.apiUrl, env.key)
    await registerSelf(client, env.nodeId, ["validator"], env.capabilities)
    console.log(`[validator ${env.nodeId}] ${env.key.address} on ${tf.backend}; waiting for work`)
    const worker = await startValidator({
      nc,
      nodeId: env.nodeId,
      client,
      deps: { tf, weights: await nodeWeights(nc, env.apiUrl, env.key), data: digitsLibrary(), behaviour: (process.env.NODE_BEHAVIOUR as ValidatorBehaviour) ?? "honest" },
      log: (l) => console.log(`[validator] ${l}`)
    })
    return { nc, worker }
  },
  async ({ nc, worker }) => {
    await worker.stop()
    await nc.drain()
  }
)
