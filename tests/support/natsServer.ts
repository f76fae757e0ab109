import { afterAll, beforeAll } from "vitest"
import { startNatsServer, type NatsServer } from "../../infra/nats/server"

// The harness's server launcher lives with the NATS infrastructure so the dev
// stack and the benchmarks start servers the same way the tests do.
export * from "../../infra/nats/server"

/**
 * A nats-server of the spec file's own: started before its first test,
 * stopped after its last. Read `.server` inside tests (it is set by then).
 */
export const natsServerPerFile = (options?: Parameters<typeof startNatsServer>[0]): { readonly server: NatsServer } => {
  let server: NatsServer | undefined
  beforeAll(async () => {
    server = await startNatsServer(options)
  })
  afterAll(async () => {
    await server?.stop()
  })
  return {
    get server() {
      if (!server) throw new Error("the spec's nats-server is not started yet (read it inside a test)")
      return server
    }
  }
}
