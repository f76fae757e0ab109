import { startNatsServer } from "../infra/nats/server"
import { workloadCostBench } from "./workloadCost.bench"
import { workloadBench } from "./workloads.bench"

/**
 * `npm run example -- <workload>`: run examples/<workload>.json on a local
 * network (its own nats-server; coordinator, 2 trainers, 3 validators) and
 * print the outcome beside centralised training, as JSON.
 */
const id = process.argv[2]
if (!id) {
  console.error("usage: npm run example -- spam-transformer | moby-chars | fashion-cnn | emoji-clip | spoken-digits")
  process.exit(2)
}
const server = await startNatsServer()
try {
  // EXAMPLE_NETWORK=off: only the single-node costs (trainer throughput, validator cost).
  const network = process.env.EXAMPLE_NETWORK === "off" ? [] : await workloadBench(server.url, id)
  console.log(JSON.stringify([...(await workloadCostBench(id)), ...network], null, 2))
} finally {
  await server.stop()
}
