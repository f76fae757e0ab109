import type { NatsConnection } from "@nats-io/transport-node"
import { HEARTBEAT_INTERVAL_MS } from "../dispatcher/liveness"
import { defaultWorkQueue, type WorkQueueConfig } from "./workQueue"

/**
 * Where a node says it is alive: `heartbeat.<queue prefix>.<nodeId>`. NATS
 * permissions let a node publish only on its own (infra/nats/accounts.ts),
 * so the subject names the sender truthfully.
 */
export const heartbeatSubject = (nodeId: string, queue: WorkQueueConfig = defaultWorkQueue) => `heartbeat.${queue.subjectPrefix}.${nodeId}`
export const heartbeatWildcard = (queue: WorkQueueConfig = defaultWorkQueue) => `heartbeat.${queue.subjectPrefix}.*`

/**
 * Publish a heartbeat now and every HEARTBEAT_INTERVAL_MS (core NATS, fire and
 * forget: a beat lost in an outage is simply not seen). Training yields to the
 * event loop between batches, so a node busy training still beats.
 */
export const startHeartbeat = (nc: NatsConnection, nodeId: string, queue: WorkQueueConfig = defaultWorkQueue, intervalMs = HEARTBEAT_INTERVAL_MS) => {
  const subject = heartbeatSubject(nodeId, queue)
  const beat = () => {
    try {
      nc.publish(subject, JSON.stringify({ nodeId, at: new Date().toISOString() }))
    } catch {
      // Closed or draining connection: the process is stopping or about to exit.
    }
  }
  beat()
  const timer = setInterval(beat, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
