import { startNatsServer } from "../infra/nats/server"
import { apiBench } from "../bench/api.bench"
const server = await startNatsServer()
try {
  for (let i = 0; i < 2; i++) console.log(JSON.stringify((await apiBench(server.url, { requests: 1500, concurrency: 16 }))[0]))
} finally { await server.stop() }
