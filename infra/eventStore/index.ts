import { Layer } from "effect"
import { flag, orExit, readConfig, text } from "../config"
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
 * EVENTS_PROVISION=false makes a role without admin rights only check it;
 * EVENTS_WRITER_LEASE=false keeps a writer out of the writer lease.
 */
export const eventStoreSettings = {
  EVENTSTORE_URL: text("esdb://… selects the EventStoreDB adapter", undefined, /^(esdb|esdb\+discover|kurrentdb):\/\//),
  EVENTSTORE_STREAM_PREFIX: text("a prefix for every EventStoreDB stream name", ""),
  EVENTS_STREAM: text("the JetStream log's stream name", undefined, /^[A-Za-z0-9_-]{1,64}$/),
  EVENTS_SUBJECT_PREFIX: text("the JetStream log's subject prefix", undefined, /^[A-Za-z0-9_-]{1,64}$/),
  EVENTS_PROVISION: flag("create the log's stream when missing (false for roles that may not)", true),
  EVENTS_WRITER_LEASE: flag("writers (the API) take part in the writer lease: one process appends for all, so several API processes do not contend for the hash chain", true)
}

/** `writes`: the process appends (the API); only writers take part in the writer lease. */
export const EventStoreFromEnv = (role?: string, writes = false) => {
  const config = orExit(() => readConfig(eventStoreSettings))
  if (config.EVENTSTORE_URL) return layerEventStoreDb({ connectionString: config.EVENTSTORE_URL, streamPrefix: config.EVENTSTORE_STREAM_PREFIX })
  return layerJetStream({
    ...(config.EVENTS_STREAM ? { streamName: config.EVENTS_STREAM } : {}),
    ...(config.EVENTS_SUBJECT_PREFIX ? { subjectPrefix: config.EVENTS_SUBJECT_PREFIX } : {}),
    provision: config.EVENTS_PROVISION,
    writerLease: writes && config.EVENTS_WRITER_LEASE
  }).pipe(Layer.provide(NatsClient.layerFromEnv(role)))
}
