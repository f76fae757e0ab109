import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream"
import { describe, expect, it } from "vitest"
import { WriterLease, writerLeaseNames } from "../../infra/eventStore/writerLease"

/**
 * The writer lease's bookkeeping around stop (infra/eventStore/writerLease.ts),
 * over a stand-in for JetStream whose publishes answer when the spec says:
 * the real server's side is in tests/integration/writerLease.int.spec.ts.
 */
const names = writerLeaseNames({ streamName: "EVENTS", subjectPrefix: "events" })

const standIn = () => {
  const published: Array<{ data: string; expected: number | undefined; answer: (seq: number) => void }> = []
  const js = {
    publish: (_subject: string, data: string | Uint8Array, options?: { expect?: { lastSubjectSequence?: number } }) =>
      new Promise((resolve) => {
        published.push({ data: typeof data === "string" ? data : new TextDecoder().decode(data), expected: options?.expect?.lastSubjectSequence, answer: (seq) => resolve({ seq }) })
      })
  } as unknown as JetStreamClient
  // Nobody holds the lease.
  const jsm = { direct: { getMessage: async () => null } } as unknown as JetStreamManager
  return { js, jsm, published }
}
const settle = () => new Promise((r) => setImmediate(r))

describe("the writer lease, stopping", () => {
  it("hands back a lease it took while stopping, and never says it holds it", async () => {
    const { js, jsm, published } = standIn()
    const said: Array<boolean> = []
    const lease = new WriterLease(js, jsm, names, "me", 3_000, (holding) => said.push(holding))
    const trying = lease.step()
    await settle()
    expect(published.map((p) => [p.data, p.expected])).toEqual([["me", 0]])
    // Stopped while the take is in flight; then the server takes it for us.
    const stopping = lease.stop()
    published[0]!.answer(7)
    await trying
    await settle()
    // Handed back at once: an empty message on top of ours.
    expect(published.map((p) => [p.data, p.expected])).toEqual([["me", 0], ["", 7]])
    published[1]!.answer(8)
    await stopping
    expect(said).not.toContain(true)
    expect(lease.holding).toBe(false)
  })

  it("hands back a lease it holds when stopped", async () => {
    const { js, jsm, published } = standIn()
    const said: Array<boolean> = []
    const lease = new WriterLease(js, jsm, names, "me", 3_000, (holding) => said.push(holding))
    const trying = lease.step()
    await settle()
    published[0]!.answer(3)
    await trying
    expect([lease.holding, said]).toEqual([true, [true]])
    const stopping = lease.stop()
    await settle()
    expect(published.map((p) => [p.data, p.expected])).toEqual([["me", 0], ["", 3]])
    published[1]!.answer(4)
    await stopping
    expect([lease.holding, said]).toEqual([false, [true, false]])
  })
})
