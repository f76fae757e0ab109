import { Layer } from "effect"
import { NatsClient } from "../nats/NatsClient"
import { layerEventStoreDb } from "./eventStoreDb"
import { layerInMemory } from "./inMemory"
import { layerJetStream } from "./jetStream"

export { layerEventStoreDb, layerInMemory, layerJetStream }

/**
 * The event store for a process, chosen by the environment:
 * - EVENTSTORE_URL=esdb://… → EventStoreDB/KurrentDB,
 * - otherwise JetStream on NATS_URL (the default, and the tested one).
 * EVENTS_STREAM / EVENTS_SUBJECT_PREFIX rename the JetStream log;
 * EVENTS_PROVISION=false makes a role without admin rights only check it.
 */
export const EventStoreFromEnv = (role?: string) => {
  const esdb = process.env.EVENTSTORE_URL
  if (esdb && esdb.length > 0) {
    return layerEventStoreDb({ connectionString: esdb, streamPrefix: process.env.EVENTSTORE_STREAM_PREFIX ?? "" })
  }
  return layerJetStream({
    ...(process.env.EVENTS_STREAM ? { streamName: process.env.EVENTS_STREAM } : {}),
    ...(process.env.EVENTS_SUBJECT_PREFIX ? { subjectPrefix: process.env.EVENTS_SUBJECT_PREFIX } : {}),
    provision: process.env.EVENTS_PROVISION !== "false"
  }).pipe(Layer.provide(NatsClient.layerFromEnv(role)))
}
