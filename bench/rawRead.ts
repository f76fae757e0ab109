import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream"

/**
 * The raw baseline of every replay figure: an ordered consumer reading the
 * whole stream, no decoding, no hash check, no projection. Messages per second.
 */
export const rawOrderedRead = async (js: JetStreamClient, streamName: string): Promise<number> => {
  const t = performance.now()
  const consumer = await js.consumers.get(streamName, { deliver_policy: DeliverPolicy.All })
  const messages = await consumer.consume({ max_messages: 1024 })
  let n = 0
  for await (const m of messages) {
    n++
    if (m.info.pending === 0) break
  }
  return n / ((performance.now() - t) / 1000)
}
