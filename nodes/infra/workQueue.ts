import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream"
import type { NatsConnection } from "@nats-io/transport-node"
import { Exit, Schema } from "effect"
import { COMMANDS_STREAM } from "../../infra/nats/provision"
import { nodeConsumerName, WorkItem, type WorkItem as WorkItemType } from "../workItems"
import { describeFailure } from "./describeFailure"

export interface WorkQueueConfig {
  readonly streamName: string
  readonly subjectPrefix: string
}
export const defaultWorkQueue: WorkQueueConfig = { streamName: COMMANDS_STREAM, subjectPrefix: "cmd" }

/**
 * Each node pulls from its own durable consumer on the work queue, filtered
 * to `<prefix>.*.*.<nodeId>`. Filters never overlap (a work-queue stream
 * requires that), and work routed to a node waits for it across restarts.
 * The coordinator creates the consumer when the node joins a task.
 */
/**
 * How long an item handed to a node stays its own without a sign of progress.
 * The node's work loop sends `working()` every WORKING_INTERVAL_MS while it
 * holds an item, so only an ack or nak lost with a crashed server or node
 * waits this long before the item comes back.
 */
export const ACK_WAIT_MS = 10_000
export const WORKING_INTERVAL_MS = 2_000

export const ensureNodeConsumer = async (nc: NatsConnection, nodeId: string, queue = defaultWorkQueue) => {
  const jsm = await jetstreamManager(nc)
  const durable = nodeConsumerName(nodeId)
  const tunable = {
    ack_wait: ACK_WAIT_MS * 1_000_000,
    // Bounded: a poison message does not loop forever.
    max_deliver: 5
  }
  try {
    await jsm.consumers.add(queue.streamName, {
      durable_name: durable,
      filter_subject: `${queue.subjectPrefix}.*.*.${nodeId}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...tunable
    })
  } catch (e) {
    // A queue created by an older release keeps its position; only its timings move.
    if (!/already exists/i.test(String(e))) throw e
    await jsm.consumers.update(queue.streamName, durable, tunable)
  }
}

const encodeItem = Schema.encodeSync(WorkItem)
const decodeItem = Schema.decodeUnknownExit(WorkItem)

/** Publish one work item; `msgID` makes a re-publish (e.g. after a coordinator restart) a no-op. */
export const publishWork = async (nc: NatsConnection, subject: string, item: WorkItemType, msgID: string) => {
  const js = jetstream(nc)
  await js.publish(subject, JSON.stringify(encodeItem(item)), { msgID })
}

export type WorkOutcome = { readonly ack: true } | { readonly term: string } | { readonly nak: number }

export interface WorkControl {
  /** Tell the server this node is still on it (resets the ack timer). */
  readonly working: () => void
  readonly redelivered: boolean
}

/**
 * The node's work loop: pull, decode (a malformed item is terminated, never
 * retried), handle, then ack on success, `term` on a domain failure (retrying
 * cannot help), `nak` with a delay on an infrastructure failure.
 */
export const runWorkLoop = async (options: {
  readonly nc: NatsConnection
  readonly nodeId: string
  readonly queue?: WorkQueueConfig
  readonly handle: (item: WorkItemType, control: WorkControl) => Promise<WorkOutcome>
  readonly log?: (line: string) => void
}): Promise<{ stop: () => Promise<void>; done: Promise<void> }> => {
  const queue = options.queue ?? defaultWorkQueue
  const js = jetstream(options.nc)
  const consumer = await js.consumers.get(queue.streamName, nodeConsumerName(options.nodeId))
  const messages = await consumer.consume({ max_messages: 1 })
  const log = options.log ?? (() => undefined)
  const done = (async () => {
    for await (const msg of messages) {
      const outcome = await handleOne(msg, options.handle, log)
      if ("ack" in outcome) msg.ack()
      else if ("term" in outcome) msg.term(outcome.term)
      else msg.nak(outcome.nak)
    }
  })()
  return {
    stop: async () => {
      // Stop pulling; the item in hand finishes (its ack/nak still goes out).
      messages.stop()
      await done.catch(() => undefined)
    },
    done
  }
}

const handleOne = async (
  msg: JsMsg,
  handle: (item: WorkItemType, control: WorkControl) => Promise<WorkOutcome>,
  log: (line: string) => void
): Promise<WorkOutcome> => {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder().decode(msg.data))
  } catch {
    return { term: "work item is not JSON" }
  }
  const decoded = decodeItem(raw)
  if (Exit.isFailure(decoded)) return { term: "work item does not match the schema" }
  // Hold the item while any step runs (download, training, upload, the
  // command's retries), not only while training reports progress.
  const holding = setInterval(() => msg.working(), WORKING_INTERVAL_MS)
  try {
    return await handle(decoded.value, { working: () => msg.working(), redelivered: msg.redelivered })
  } catch (e) {
    log(`work failed (will retry): ${describeFailure(e)}`)
    return { nak: 2_000 }
  } finally {
    clearInterval(holding)
  }
}
