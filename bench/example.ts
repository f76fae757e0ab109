import { startNatsServer } from "../infra/nats/server"
import { workloadBench } from "./workloads.bench"

/**
 * `npm run example -- <workload>`: run examples/<workload>.json on a local
 * network (its own nats-server; coordinator, 2 trainers, 3 validators) and
 * print the outcome beside centralised training, as JSON.
 */
const id = process.argv[2]
if (!id) {
  console.error("usage: npm run example -- spam-transformer | moby-chars | fashion-cnn")
  process.exit(2)
}
const server = await startNatsServer()
try {
  console.log(JSON.stringify(await workloadBench(server.url, id), null, 2))
} finally {
  await server.stop()
}
