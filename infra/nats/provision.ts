import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type StreamConfig
} from "@nats-io/jetstream"
import { Objm } from "@nats-io/obj"
import type { NatsConnection } from "@nats-io/transport-node"
import { defaultJetStreamConfig, ensureEventStream, type JetStreamEventStoreConfig } from "../eventStore/jetStream"

/**
 * Everything the admin role creates once: the event log, the node work queue
 * and the weights bucket. Idempotent: running it again changes nothing.
 * Other roles never create streams (nats.conf does not let them).
 */
export const COMMANDS_STREAM = "CMDS"
export const WEIGHTS_BUCKET = "weights"

export const commandsStreamConfig = (name = COMMANDS_STREAM, prefix = "cmd"): Partial<StreamConfig> & { name: string } => ({
  name,
  subjects: [`${prefix}.train.>`, `${prefix}.verify.>`],
  // Work queue: a command is removed once a node acks it.
  retention: RetentionPolicy.Workqueue,
  storage: StorageType.File,
  discard: DiscardPolicy.New,
  duplicate_window: 10 * 60 * 1_000_000_000,
  allow_direct: true
})

const NOT_FOUND = 10059

export const ensureCommandsStream = async (nc: NatsConnection, name = COMMANDS_STREAM, prefix = "cmd"): Promise<void> => {
  const jsm = await jetstreamManager(nc)
  const exists = await jsm.streams.info(name).then(
    () => true,
    (e: unknown) => {
      if (e instanceof JetStreamApiError && e.code === NOT_FOUND) return false
      throw e
    }
  )
  if (!exists) await jsm.streams.add(commandsStreamConfig(name, prefix))
  // One durable pull consumer per node kind; bounded redelivery so a poison
  // command cannot loop forever, and an ack wait that `working()` extends.
  for (const [durable, filter] of [
    ["trainers", `${prefix}.train.>`],
    ["validators", `${prefix}.verify.>`]
  ] as const) {
    await jsm.consumers.add(name, {
      durable_name: durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30 * 1_000_000_000,
      max_deliver: 5
    })
  }
}

export const provisionAll = async (
  nc: NatsConnection,
  eventLog: JetStreamEventStoreConfig = defaultJetStreamConfig
): Promise<void> => {
  const jsm = await jetstreamManager(nc)
  await ensureEventStream(jsm, { ...eventLog, provision: true })
  await ensureCommandsStream(nc)
  await new Objm(nc).create(WEIGHTS_BUCKET, { storage: StorageType.File })
}
