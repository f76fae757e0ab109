import { Layer, ManagedRuntime } from "effect"
import { build, type ApiOptions } from "../../commands/app"
import { injectTransport, NeuraClient } from "../../commands/client"
import type { EventStore } from "../../domain/ports"
import { layerInMemory } from "../../infra/eventStore/inMemory"
import { devKey } from "../../infra/identity/devKeys"
import { inMemoryWeightsStore } from "../../infra/weights/WeightsStore"

/**
 * The API in-process (app.inject), over any EventStore layer: in-memory for
 * fast specs, JetStream for integration. `await using` disposes of it.
 */
export const apiHarness = async (layer: Layer.Layer<EventStore, unknown> = layerInMemory(), options: Partial<ApiOptions> = {}) => {
  const runtime = ManagedRuntime.make(layer)
  const keys = { owner: devKey("owner"), coordinator: devKey("coordinator"), stranger: devKey("stranger"), admin: devKey("admin") }
  const app = build(runtime, { coordinators: [keys.coordinator.address], admins: [keys.admin.address], weights: inMemoryWeightsStore(), shards: inMemoryWeightsStore(), ...options })
  await app.ready()
  const client = new NeuraClient(injectTransport(app), keys.owner)
  return {
    app,
    runtime,
    client,
    keys,
    async [Symbol.asyncDispose]() {
      await app.close()
      await runtime.dispose()
    }
  }
}
