import { afterAll, beforeAll } from "vitest"
import { eventStoreContract } from "../contract/eventStore"
import { jetStreamLogFixture } from "../support/jetStreamFixture"
import { startNatsServer, type NatsServer } from "../support/natsServer"

let server: NatsServer
beforeAll(async () => {
  server = await startNatsServer()
})
afterAll(async () => {
  await server?.stop()
})

eventStoreContract("JetStream", () => jetStreamLogFixture(server.url))
