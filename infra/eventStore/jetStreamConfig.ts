import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo
} from "@nats-io/jetstream"
import { EventStoreUnavailable } from "../../domain/ports"

/** How the log lives on JetStream: the stream, its subjects, and the writer's bounds. */
export interface JetStreamEventStoreConfig {
  /** JetStream stream holding the log. */
  readonly streamName: string
  /** Subjects are `<prefix>.<aggregate>.<id>`. */
  readonly subjectPrefix: string
  /** Create/update the stream at start (needs the admin role); otherwise it must exist. */
  readonly provision: boolean
  /** How long JetStream remembers command ids for idempotent retries. */
  readonly duplicateWindowMs: number
  readonly replicas: number
  /** Bound on reseal-and-retry after another writer moved the log head. */
  readonly maxAppendAttempts: number
  /**
   * Streams whose head (revision, last subject sequence) the writer keeps
   * after appending to them, at most (the most recently written; RecentMap).
   * A stream not kept costs one read of its head on its next append.
   */
  readonly cachedStreamHeads: number
  /**
   * Take part in the writer lease (writerLease.ts): one process at a time
   * appends for all, the others forward their appends to it. For logs with
   * several writing processes (API processes); a lone writer gains nothing.
   */
  readonly writerLease: boolean
  /** How long a lease lives without renewal (when this log creates the lease stream; otherwise the stream's). */
  readonly writerLeaseMs: number
  /** How long a forwarded append waits for the holder before appending here instead. */
  readonly forwardTimeoutMs: number
}

export const defaultJetStreamConfig: JetStreamEventStoreConfig = {
  streamName: "EVENTS",
  subjectPrefix: "events",
  provision: true,
  duplicateWindowMs: 60 * 60 * 1000,
  replicas: 1,
  maxAppendAttempts: 50,
  // As many as the command handler keeps folded streams (commands/handleCommand.ts).
  cachedStreamHeads: 10_000,
  writerLease: false,
  writerLeaseMs: 3_000,
  forwardTimeoutMs: 2_000
}

export const eventStreamConfig = (config: JetStreamEventStoreConfig): Partial<StreamConfig> & { name: string } => ({
  name: config.streamName,
  subjects: [`${config.subjectPrefix}.>`],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  num_replicas: config.replicas,
  discard: DiscardPolicy.New,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_msg_size: 1024 * 1024,
  duplicate_window: config.duplicateWindowMs * 1_000_000,
  // The log is the audit trail: no message may be removed, by anyone.
  deny_delete: true,
  deny_purge: true,
  allow_rollup_hdrs: false,
  allow_direct: true
})

/** JetStream's "stream not found" API error. */
const STREAM_NOT_FOUND = 10059

/** A stream's info, or undefined when there is no such stream (any other failure is thrown). */
export const streamInfoIfAny = (jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> =>
  jsm.streams.info(name).catch((e: unknown) => {
    if (e instanceof JetStreamApiError && e.code === STREAM_NOT_FOUND) return undefined
    throw e
  })

/** Create the stream, or check that an existing one keeps the audit guarantees. Answers how many replicas it has. */
export const ensureEventStream = async (jsm: JetStreamManager, config: JetStreamEventStoreConfig): Promise<number> => {
  const wanted = eventStreamConfig(config)
  const existing = await streamInfoIfAny(jsm, config.streamName)
  if (!existing) {
    if (!config.provision) throw new EventStoreUnavailable({ reason: `stream ${config.streamName} does not exist; run provisioning` })
    const added = await jsm.streams.add(wanted)
    return added.config.num_replicas
  }
  const c = existing.config
  if (!c.deny_delete || !c.deny_purge || !c.allow_direct || !c.subjects.includes(`${config.subjectPrefix}.>`)) {
    throw new EventStoreUnavailable({
      reason: `stream ${config.streamName} exists without deny_delete/deny_purge/allow_direct or the ${config.subjectPrefix}.> subjects`
    })
  }
  return c.num_replicas
}
