import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream"
import { streamInfoIfAny } from "./jetStreamConfig"

/**
 * Which process appends to the log. Every commit links to the one before it
 * in the whole log (the hash chain), so two processes appending at once keep
 * moving the head under each other: with 4 API processes on one log the
 * commands went at a twentieth of one process's rate, every append resealed
 * two or three times. So one process at a time holds the writer lease and
 * appends for the others, who forward their appends to it (jetStream.ts).
 *
 * The lease is one message on a stream of its own, at most one per subject
 * and aged out after `leaseMs` by the server: whoever published the last one
 * holds it, and keeps it by publishing again (every third of `leaseMs`) with
 * the expectation that the last message is still its own. A holder that
 * stops (crash, pause, lost connection) loses it when its message ages out;
 * one that closes hands it back at once (an empty message). Nothing depends
 * on the lease for correctness: a process that appends without it is only
 * slower (the server's expectations still keep the chain whole), so two
 * holders for a moment, or none, cost throughput and never history.
 */

/** The lease stream, its subject and where the holder takes forwarded appends. */
export interface WriterLeaseNames {
  readonly stream: string
  readonly lease: string
  readonly append: string
}

export const writerLeaseNames = (config: { readonly streamName: string; readonly subjectPrefix: string }): WriterLeaseNames => ({
  stream: `${config.streamName}_WRITER`,
  lease: `${config.subjectPrefix}_writer.lease`,
  append: `${config.subjectPrefix}_writer.append`
})

export const writerLeaseStreamConfig = (names: WriterLeaseNames, leaseMs: number, replicas: number): Partial<StreamConfig> & { name: string } => ({
  name: names.stream,
  subjects: [names.lease],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  num_replicas: replicas,
  max_msgs_per_subject: 1,
  discard: DiscardPolicy.Old,
  max_age: leaseMs * 1_000_000,
  // The server refuses a duplicate window longer than the messages live.
  duplicate_window: leaseMs * 1_000_000,
  allow_direct: true
})

/** Create the lease stream when missing (admin, or a log that provisions itself). Answers its lease time. */
export const ensureWriterLeaseStream = async (jsm: JetStreamManager, names: WriterLeaseNames, leaseMs: number, replicas: number, provision: boolean): Promise<number> => {
  const existing = await streamInfoIfAny(jsm, names.stream)
  if (existing) return Math.round(existing.config.max_age / 1_000_000)
  if (!provision) throw new Error(`stream ${names.stream} (the writer lease) does not exist; run provisioning`)
  await jsm.streams.add(writerLeaseStreamConfig(names, leaseMs, replicas))
  return leaseMs
}

/**
 * One process's side of the lease: tries to take it while nobody holds it,
 * keeps it while it holds it, and says when that changes (`onChange`).
 */
export class WriterLease {
  /** The sequence of our last lease message while we hold it; 0 when we do not. */
  private heldSeq = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: WriterLeaseNames,
    /** Who we are (any text unique to this process). */
    private readonly holder: string,
    private readonly leaseMs: number,
    private readonly onChange: (holding: boolean) => void
  ) {}

  get holding(): boolean {
    return this.heldSeq > 0
  }

  /** Try at once, then every third of the lease time. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.step(), Math.max(50, Math.floor(this.leaseMs / 3)))
    // A lease must not keep a process alive.
    this.timer.unref()
    return this.step()
  }

  /** One try (tests call it to move on without waiting for the timer). */
  step(): Promise<void> {
    // One at a time: a slow publish must not overlap the next tick.
    this.running = this.running.then(() => (this.stopped ? undefined : this.holding ? this.renew() : this.acquire()))
    return this.running
  }

  private async acquire(): Promise<void> {
    const last = await this.jsm.direct.getMessage(this.names.stream, { last_by_subj: this.names.lease }).catch(() => null)
    // Held by someone (an empty message is a lease handed back).
    if (last !== null && last.data.length > 0) return
    const ack = await this.js.publish(this.names.lease, this.holder, { expect: { lastSubjectSequence: last?.seq ?? 0 } }).catch(() => undefined)
    if (ack === undefined) return
    // Recorded even when taken while stopping, so that stop() hands it back at once.
    this.heldSeq = ack.seq
    if (!this.stopped) this.onChange(true)
  }

  private async renew(): Promise<void> {
    const ack = await this.js.publish(this.names.lease, this.holder, { expect: { lastSubjectSequence: this.heldSeq } }).catch(() => undefined)
    if (ack !== undefined) {
      this.heldSeq = ack.seq
      return
    }
    // Aged out (we were too slow) or taken: someone else may be appending now.
    this.heldSeq = 0
    this.onChange(false)
  }

  /** Stop trying, and hand the lease back if we hold it, so another process takes it at its next try. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.running
    if (!this.holding) return
    const held = this.heldSeq
    this.heldSeq = 0
    this.onChange(false)
    await this.js.publish(this.names.lease, new Uint8Array(0), { expect: { lastSubjectSequence: held } }).catch(() => undefined)
  }
}
