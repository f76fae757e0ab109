import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Layer } from "effect"
import { defaultJetStreamConfig, layerJetStream, type JetStreamEventStoreConfig } from "../../infra/eventStore/jetStream"
import { NatsClient } from "../../infra/nats/NatsClient"
import { uniqueSuffix } from "./jetStreamFixture"

/**
 * An EventStore layer on a fresh, uniquely named JetStream log, plus a
 * disposer that deletes that log. For tests that run whole services
 * (the API, nodes) against real JetStream.
 */
export const isolatedJetStreamLog = (url: string) => {
  const id = uniqueSuffix()
  const config: JetStreamEventStoreConfig = { ...defaultJetStreamConfig, streamName: `EVENTS_${id}`, subjectPrefix: `t${id}.events` }
  const layer = () => layerJetStream(config).pipe(Layer.provide(NatsClient.layer({ servers: url })))
  return {
    config,
    layer,
    async [Symbol.asyncDispose]() {
      const nc = await connect({ servers: url })
      const jsm = await jetstreamManager(nc)
      await jsm.streams.delete(config.streamName).catch(() => undefined)
      await nc.close()
    }
  }
}
