import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream"
import type { NatsConnection } from "@nats-io/transport-node"
import { ApiError, type NeuraClient } from "../../commands/client"
import { nodeConsumerName, type WorkItem } from "../workItems"
import { workQueueDepth } from "../../infra/metrics"
import { startHeartbeat } from "./heartbeat"
import { defaultWorkQueue, runWorkLoop, type WorkControl, type WorkOutcome, type WorkQueueConfig } from "./workQueue"
import { describeFailure } from "./describeFailure"

const LATER = new Set(["ConcurrencyRetriesExhausted", "RevealNotOpen", "ScoreRevealNotOpen"])

/**
 * JetStream announces a consumer's creation on this subject; a node listens for its own
 * queue's (infra/nats/accounts.ts lets it, and only it).
 */
export const queueCreatedSubject = (streamName: string, nodeId: string) => `$JS.EVENT.ADVISORY.CONSUMER.CREATED.${streamName}.${nodeConsumerName(nodeId)}`

/**
 * Shared shape of a node process: wait until the coordinator has created this
 * node's queue (it does so when the node joins a task), then work the queue.
 * A command the API refuses with a 4xx is a domain failure: `term` (retrying
 * cannot help). Anything else is infrastructure: `nak` and retry later.
 */
export const startNodeWorker = async (options: {
  readonly nc: NatsConnection
  readonly nodeId: string
  readonly queue?: WorkQueueConfig
  readonly handle: (item: WorkItem, control: WorkControl) => Promise<void>
  readonly log: (line: string) => void
  /** How often to look for the queue between announcements (tests lengthen it). */
  readonly queuePollMs?: number
}) => {
  const queue = options.queue ?? defaultWorkQueue
  let stopped = false
  // Alive from the start: the coordinator measures silence from the last beat.
  const heartbeat = startHeartbeat(options.nc, options.nodeId, queue)
  let loop: Awaited<ReturnType<typeof runWorkLoop>> | undefined
  let unregisterDepth: (() => void) | undefined
  const startLoop = () =>
    runWorkLoop({
      nc: options.nc,
      nodeId: options.nodeId,
      queue,
      log: options.log,
      handle: async (item, control): Promise<WorkOutcome> => {
        if (item.nodeId !== options.nodeId) return { term: `addressed to ${item.nodeId}` }
        try {
          await options.handle(item, control)
          return { ack: true }
        } catch (e) {
          // A 4xx is a domain refusal (retrying cannot help), except contention:
          // ConcurrencyRetriesExhausted and RevealNotOpen say "try again later" (contention; a
          // reveal routed by a coordinator whose clock runs ahead of the API's), so the item is nak'ed.
          if (e instanceof ApiError && e.status < 500 && !LATER.has(e.problem.code)) {
            options.log(`${options.nodeId}: refused (${e.problem.code}): ${e.problem.detail ?? ""}`)
            return { term: e.problem.code }
          }
          throw e
        }
      }
    })
  // The queue's creation wakes the wait at once: a node that has just joined a task otherwise
  // started its first work item up to a poll later (the digits bench's first round lost
  // 120-300 ms to it). The poll stays for an announcement missed or refused.
  let wake = () => {}
  const announced = options.nc.subscribe(queueCreatedSubject(queue.streamName, options.nodeId), { callback: () => wake() })
  const started = (async () => {
    let jsm: JetStreamManager | undefined
    let waiting = false
    while (!stopped) {
      const woken = new Promise<void>((r) => (wake = r))
      // Any failure here (no queue yet, JetStream briefly unavailable) means: look again shortly.
      const exists = await (async () => {
        jsm ??= await jetstreamManager(options.nc)
        await jsm.consumers.info(queue.streamName, nodeConsumerName(options.nodeId))
        return true
      })().catch(() => false)
      if (exists) break
      if (!waiting) options.log(`${options.nodeId}: waiting for its work queue (the coordinator creates it when the node joins a task)`)
      waiting = true
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([woken, new Promise((r) => (timer = setTimeout(r, options.queuePollMs ?? 300)))])
      clearTimeout(timer)
    }
    try {
      announced.unsubscribe()
    } catch {
      // The connection closed meanwhile: nothing left to unsubscribe from.
    }
    if (stopped) return
    options.log(`${options.nodeId}: work queue ready`)
    unregisterDepth = workQueueDepth.add(options.nodeId, async () => (await jsm!.consumers.info(queue.streamName, nodeConsumerName(options.nodeId))).num_pending)
    // Starting the loop talks to JetStream too: on a loaded machine or during an outage that can
    // time out. A node whose loop never started would heartbeat while never working: try again.
    for (let attempt = 1; !stopped; attempt++) {
      try {
        loop = await startLoop()
        return
      } catch (e) {
        options.log(`${options.nodeId}: work loop failed to start (attempt ${attempt}, retrying): ${describeFailure(e)}`)
        await new Promise((r) => setTimeout(r, Math.min(5_000, 500 * attempt)))
      }
    }
  })()
  // Never an unhandled rejection: a worker that cannot start says so.
  started.catch((e: unknown) => options.log(`${options.nodeId}: work loop failed to start: ${describeFailure(e)}`))
  return {
    async stop() {
      stopped = true
      // A node still waiting for its queue stops now, not a poll later.
      wake()
      unregisterDepth?.()
      heartbeat.stop()
      await started.catch(() => undefined)
      await loop?.stop()
    }
  }
}

/** What every node process is given: its connection, identity, signing client and queue. */
export interface NodeWorkerOptions<Deps> {
  readonly nc: NatsConnection
  readonly nodeId: string
  /** Signs as this node's key. */
  readonly client: NeuraClient
  readonly deps: Deps
  readonly queue?: WorkQueueConfig
  readonly log?: (line: string) => void
}

/** The signed command a worker sends for a work item, and a line for its log. */
export interface WorkCommand {
  readonly type: string
  readonly payload: unknown
  readonly commandId: string
  readonly summary: string
}

type WorkerDeps<Deps> = Deps & { readonly working: () => void; readonly progress: (line: string) => void }

/** What a worker does with each kind of work item it takes (a validator judges results and scores models). */
export type WorkHandlers<Deps> = {
  /** The command to send for an item; undefined when the work has nothing to send (yet). */
  readonly [Tag in WorkItem["_tag"]]?: (item: Extract<WorkItem, { _tag: Tag }>, deps: WorkerDeps<Deps>) => Promise<WorkCommand | undefined>
}

/**
 * A node that turns work items into signed commands: do the work (with
 * `working()` and progress logging wired in), send the command it yields,
 * log the summary.
 */
export const startCommandingWorker = <Deps>(options: NodeWorkerOptions<Deps>, handlers: WorkHandlers<Deps>) => {
  const log = options.log ?? (() => undefined)
  // Commands this worker computed, by work item: a redelivered item (its
  // ack lost with a crashed server, or its command refused by an API that was
  // down) is answered by sending the same command again, not by redoing the
  // work. Bounded; a restarted process starts empty.
  const computed = new Map<string, WorkCommand>()
  return startNodeWorker({
    nc: options.nc,
    nodeId: options.nodeId,
    ...(options.queue ? { queue: options.queue } : {}),
    log,
    handle: async (item, control) => {
      const work = handlers[item._tag] as ((item: WorkItem, deps: WorkerDeps<Deps>) => Promise<WorkCommand | undefined>) | undefined
      if (!work) throw new Error(`${options.nodeId} handles ${Object.keys(handlers).join(", ")}, got ${item._tag}`)
      const key = JSON.stringify(item)
      const command =
        computed.get(key) ??
        (await work(item, {
          ...options.deps,
          working: control.working,
          progress: (l) => log(`${options.nodeId}: ${l}`)
        }))
      if (!command) return
      if (!computed.has(key)) {
        if (computed.size >= 64) computed.delete(computed.keys().next().value!)
        computed.set(key, command)
      }
      // Deterministic command ids: a redelivered item re-sends as a no-op.
      await options.client.command(command.type, command.payload, { commandId: command.commandId })
      log(`${options.nodeId}: ${command.summary}`)
    }
  })
}
