import { jetstreamManager } from "@nats-io/jetstream"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { randomBytes } from "node:crypto"
import { toEventStore } from "../../infra/eventStore/backend"
import { defaultJetStreamConfig, JetStreamLog, type JetStreamEventStoreConfig } from "../../infra/eventStore/jetStream"
import { writerLeaseNames } from "../../infra/eventStore/writerLease"
import type { EventStore } from "../../domain/ports"

/**
 * One isolated event log on a shared test server: a unique stream and subject
 * prefix, removed when the fixture is disposed (`await using`). Tests never
 * share a stream and never depend on order.
 */
export interface JetStreamLogFixture extends AsyncDisposable {
  readonly nc: NatsConnection
  readonly config: JetStreamEventStoreConfig
  readonly log: JetStreamLog
  readonly store: EventStore["Service"]
  /** Another writer on its own connection, same log (for contention tests). */
  openWriter(): Promise<{ nc: NatsConnection; log: JetStreamLog; store: EventStore["Service"] }>
}

export const uniqueSuffix = (): string => randomBytes(5).toString("hex")

export const jetStreamLogFixture = async (
  url: string,
  overrides: Partial<JetStreamEventStoreConfig> = {}
): Promise<JetStreamLogFixture> => {
  const id = uniqueSuffix()
  const config: JetStreamEventStoreConfig = {
    ...defaultJetStreamConfig,
    streamName: `EVENTS_${id}`,
    subjectPrefix: `t${id}.events`,
    ...overrides
  }
  const connections: Array<NatsConnection> = []
  const logs: Array<JetStreamLog> = []
  const open = async () => {
    const nc = await connect({ servers: url })
    connections.push(nc)
    const log = await JetStreamLog.open(nc, config)
    logs.push(log)
    return { nc, log, store: toEventStore(log) }
  }
  const first = await open()
  return {
    ...first,
    config,
    openWriter: open,
    async [Symbol.asyncDispose]() {
      await Promise.all(logs.map((log) => log.close()))
      const jsm = await jetstreamManager(first.nc)
      await jsm.streams.delete(config.streamName).catch(() => undefined)
      // The writer lease's stream, when the log took part in one.
      await jsm.streams.delete(writerLeaseNames(config).stream).catch(() => undefined)
      await Promise.all(connections.map((nc) => nc.close()))
    }
  }
}
