import { startNatsServer } from "../infra/nats/server"
import { apiBench } from "./api.bench"
import { eventStoreBench } from "./eventStore.bench"
import { projectionsBench } from "./projections.bench"
const server = await startNatsServer()
try {
  const es = await eventStoreBench(server.url)
  const api = await apiBench(server.url)
  const proj = await projectionsBench(server.url, undefined, api[0]!.value)
  for (const r of [...es, ...api, ...proj]) console.log(JSON.stringify(r))
} finally { await server.stop() }
