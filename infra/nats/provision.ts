import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type StreamConfig
} from "@nats-io/jetstream"
import { Objm } from "@nats-io/obj"
import type { NatsConnection } from "@nats-io/transport-node"
import { defaultJetStreamConfig, ensureEventStream, type JetStreamEventStoreConfig } from "../eventStore/jetStream"
import { streamInfoIfAny } from "../eventStore/jetStreamConfig"
import { ensureWriterLeaseStream, writerLeaseNames } from "../eventStore/writerLease"

/**
 * Everything the admin role creates once: the event log and its writer lease, the node work queue
 * and the weights and datasets buckets. Idempotent: running it again changes nothing.
 * Other roles never create streams (nats.conf does not let them).
 */
export const COMMANDS_STREAM = "CMDS"
export const WEIGHTS_BUCKET = "weights"
/** Content-addressed dataset shards (written by the API, read by nodes). */
export const DATASETS_BUCKET = "datasets"

export const commandsStreamConfig = (name = COMMANDS_STREAM, prefix = "cmd", replicas = 1): Partial<StreamConfig> & { name: string } => ({
  name,
  num_replicas: replicas,
  // `<prefix>.<train|verify>.<capability>.<nodeId>`; one wildcard so that the
  // per-node consumer filters `<prefix>.*.*.<nodeId>` are subsets of it.
  subjects: [`${prefix}.>`],
  // Work queue: a command is removed once a node acks it.
  retention: RetentionPolicy.Workqueue,
  storage: StorageType.File,
  discard: DiscardPolicy.New,
  duplicate_window: 10 * 60 * 1_000_000_000,
  allow_direct: true
})

export const ensureCommandsStream = async (nc: NatsConnection, name = COMMANDS_STREAM, prefix = "cmd", replicas = 1): Promise<void> => {
  const jsm = await jetstreamManager(nc)
  const exists = (await streamInfoIfAny(jsm, name)) !== undefined
  // Consumers are per node (`node-<nodeId>`, filter `<prefix>.*.*.<nodeId>`),
  // created by the coordinator when a node joins a task (nodes/infra/workQueue.ts).
  if (!exists) await jsm.streams.add(commandsStreamConfig(name, prefix, replicas))
  else await jsm.streams.update(name, { subjects: [`${prefix}.>`] })
}

/**
 * `replicas`: 1 on a single server; 3 on a three-node cluster, so the log,
 * the work queue and both buckets survive the loss of any one member (every
 * acknowledged write is on a majority of members, each fsynced).
 */
export const provisionAll = async (
  nc: NatsConnection,
  eventLog: JetStreamEventStoreConfig = defaultJetStreamConfig,
  names: { commands?: string; commandPrefix?: string; weightsBucket?: string; datasetsBucket?: string; snapshotsBucket?: string; replicas?: number } = {}
): Promise<void> => {
  const replicas = names.replicas ?? eventLog.replicas
  const jsm = await jetstreamManager(nc)
  await ensureEventStream(jsm, { ...eventLog, replicas, provision: true })
  // Which API process appends for all (writerLease.ts).
  await ensureWriterLeaseStream(jsm, writerLeaseNames(eventLog), eventLog.writerLeaseMs, replicas, true)
  await ensureCommandsStream(nc, names.commands ?? COMMANDS_STREAM, names.commandPrefix ?? "cmd", replicas)
  await new Objm(nc).create(names.weightsBucket ?? WEIGHTS_BUCKET, { storage: StorageType.File, replicas })
  await new Objm(nc).create(names.datasetsBucket ?? DATASETS_BUCKET, { storage: StorageType.File, replicas })
  // The API's read-model checkpoints (projections/snapshots.ts).
  await new Objm(nc).create(names.snapshotsBucket ?? "snapshots", { storage: StorageType.File, replicas })
}
