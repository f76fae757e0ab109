import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream"
import { RequestError, type NatsConnection, type Subscription } from "@nats-io/transport-node"
import { randomUUID } from "node:crypto"
import type { AppendResult } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { appendForwards, writerLeaseHeld } from "../metrics"
import { prepareAppend, type PreparedAppend } from "./codec"
import { forwardAnswer, forwardRequest, readForwardAnswer, readForwardRequest } from "./forwardedAppend"
import type { JetStreamEventStoreConfig } from "./jetStreamConfig"
import { ensureWriterLeaseStream, WriterLease, writerLeaseNames, type WriterLeaseNames } from "./writerLease"

/** What forwarding needs of the log: its own append, and a commit read at its position. */
export interface WriterLog {
  appendHere(p: PreparedAppend): Promise<AppendResult>
  commitAt(globalPosition: number): Promise<ReadonlyArray<RecordedEvent>>
}

/**
 * A writer's part in the writer lease (writerLease.ts): while this process
 * holds the lease it appends for every process (it takes their forwarded
 * appends on a queue subscription); while another holds it, this one
 * forwards its appends there.
 */
export class WriterForwarding {
  private serving: Subscription | undefined
  private lease!: WriterLease
  /** After a holder did not answer in time, appends are made here until then (ms, `now`'s clock). */
  private forwardingPausedUntil = 0

  private constructor(
    private readonly nc: NatsConnection,
    private readonly names: WriterLeaseNames,
    private readonly forwardTimeoutMs: number,
    private readonly leaseMs: number,
    private readonly log: WriterLog,
    private readonly now: () => number
  ) {}

  static async join(
    nc: NatsConnection,
    js: JetStreamClient,
    jsm: JetStreamManager,
    config: JetStreamEventStoreConfig,
    replicas: number,
    log: WriterLog,
    now: () => number = Date.now
  ): Promise<WriterForwarding> {
    const names = writerLeaseNames(config)
    const leaseMs = await ensureWriterLeaseStream(jsm, names, config.writerLeaseMs, replicas, config.provision)
    const writer = new WriterForwarding(nc, names, config.forwardTimeoutMs, leaseMs, log, now)
    writer.lease = new WriterLease(js, jsm, names, randomUUID(), leaseMs, (holding) => writer.leaseChanged(holding))
    await writer.lease.start()
    return writer
  }

  get holding(): boolean {
    return this.lease.holding
  }

  append(p: PreparedAppend): Promise<AppendResult> {
    return this.lease.holding ? this.log.appendHere(p) : this.forward(p)
  }

  /** Try the lease now (tests, instead of waiting for its timer). */
  step(): Promise<void> {
    return this.lease.step()
  }

  /** Leave the lease, handing it back if held, so another process appends at once. */
  async close(): Promise<void> {
    // Handing a held lease back says so (leaseChanged): the subscription goes with it.
    await this.lease.stop()
  }

  private leaseChanged(holding: boolean): void {
    writerLeaseHeld.set(holding ? 1 : 0)
    if (!holding) {
      this.serving?.unsubscribe()
      this.serving = undefined
      return
    }
    // A queue group: were two processes to hold the lease for a moment, each forwarded append still reaches one.
    this.serving ??= this.nc.subscribe(this.names.append, {
      queue: "writer",
      callback: (error, msg) => {
        // Never a rejection left unhandled: an answer that cannot be sent leaves the sender to time out and append itself.
        if (!error) void this.serve(msg.data).then((answer) => msg.respond(answer)).catch(() => undefined)
      }
    })
  }

  private appendedHere(p: PreparedAppend): Promise<AppendResult> {
    appendForwards.inc({ outcome: "appendedHere" })
    return this.log.appendHere(p)
  }

  private async serve(data: Uint8Array): Promise<Uint8Array> {
    try {
      const result = await this.log.appendHere(prepareAppend(readForwardRequest(data)))
      appendForwards.inc({ outcome: "served" })
      // Room left for the reply's headers.
      return forwardAnswer({ ok: result }, (this.nc.info?.max_payload ?? 1024 * 1024) - 4096)
    } catch (error) {
      return forwardAnswer({ error })
    }
  }

  /**
   * Ask the holder to append. When nobody answers (no holder, or it did not
   * answer in time) we append here: the server's expectations keep the chain
   * whole either way, and the command id makes an append the holder did after
   * all come back as the same commit.
   */
  private async forward(p: PreparedAppend): Promise<AppendResult> {
    if (this.now() < this.forwardingPausedUntil) return this.appendedHere(p)
    let answer: Uint8Array
    try {
      answer = (await this.nc.request(this.names.append, forwardRequest(p), { timeout: this.forwardTimeoutMs })).data
    } catch (error) {
      // Nobody subscribed is answered at once. A holder that does not answer may be hung and still
      // subscribed (the server drops it only after missed pings, minutes): stop asking for a lease's
      // time instead of making every append wait, by then its lease has aged out and been taken.
      if (!(error instanceof RequestError && error.isNoResponders())) this.forwardingPausedUntil = this.now() + this.leaseMs
      return this.appendedHere(p)
    }
    appendForwards.inc({ outcome: "forwarded" })
    return readForwardAnswer(answer, (position) => this.log.commitAt(position))
  }
}
