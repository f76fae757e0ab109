import { describe, expect, it } from "vitest"
import { prepareAppend } from "../../infra/eventStore/codec"
import { EMPTY_TIP } from "../../infra/eventStore/hashChain"
import type { StreamHead } from "../../infra/eventStore/jetStreamReader"
import { ChainSealer, type Head, type Sealed } from "../../infra/eventStore/jetStreamSealer"
import type { ExpectedRevision } from "../../domain/ports"
import { budgetEscrowed } from "../support/events"

/**
 * The JetStream writer's optimistic view of the chain, without a server: the
 * reader answers from a table and counts what it was asked. The integration
 * specs (eventStore.jetstreamSpecifics, cluster.int) check the same rules
 * against nats-server; these pin the ordering rules the writer relies on.
 */
const given = (logHead: Head = { ...EMPTY_TIP, msgId: undefined, optimistic: false }, streams: Record<string, StreamHead> = {}) => {
  const asked = { head: 0, streams: [] as Array<string> }
  const sealer = new ChainSealer(
    100,
    {
      loadHead: async () => {
        asked.head++
        return logHead
      },
      loadStreamHead: async (stream) => {
        asked.streams.push(stream)
        return streams[stream] ?? { revision: undefined, subjectSeq: 0 }
      }
    },
    () => new Date("2026-11-26T22:00:00.000Z")
  )
  return { sealer, asked }
}

const append = (stream: string, commandId: string, expectedRevision: ExpectedRevision = "no_stream") =>
  prepareAppend({ stream, expectedRevision, events: [budgetEscrowed(stream.slice(7), 1n)], commandId })
const empty: StreamHead = { revision: undefined, subjectSeq: 0 }

/** Seal as the writer does: a locked seal is awaited and unlocked once its publish would be queued. */
const sealNow = async (sealer: ChainSealer, stream: string, commandId: string, fetched: StreamHead | undefined = empty, expected?: ExpectedRevision) => {
  const s = sealer.seal(append(stream, commandId, expected), fetched, commandId)
  if (!(s instanceof Promise)) return { sealed: s, locked: false }
  const sealed = await s
  sealer.unlock()
  return { sealed, locked: true }
}

describe("ChainSealer", () => {
  it("reads the log's head once under the lock, then seals synchronously, each commit on the one before", async () => {
    const { sealer, asked } = given({ globalPosition: 7, hash: `0x${"77".repeat(32)}` as never, msgId: "m7", optimistic: false })
    const first = await sealNow(sealer, "ledger-A", "a")
    expect(first.locked).toBe(true)
    expect(first.sealed).toMatchObject({ expectedLastSeq: 7, expectedLastMsgId: undefined, expectedSubjectSeq: 0, tip: { globalPosition: 8 } })
    expect(first.sealed.events[0]!.prevHash).toBe(`0x${"77".repeat(32)}`)

    const second = await sealNow(sealer, "ledger-B", "b")
    expect(second.locked).toBe(false)
    // Sealed on our unacknowledged commit: the server must also find its msg id there.
    expect(second.sealed).toMatchObject({ expectedLastSeq: 8, expectedLastMsgId: "a", tip: { globalPosition: 9 } })
    expect(second.sealed.events[0]!.prevHash).toBe(first.sealed.tip.hash)
    expect(asked.head).toBe(1)
  })

  it("keeps synchronous seals out while a locked seal has not queued its publish", async () => {
    const { sealer } = given()
    const locked = sealer.seal(append("ledger-A", "a"), empty, "a")
    expect(locked).toBeInstanceOf(Promise)
    const a = await locked
    // The head is known now, but the first seal has not unlocked: the next one waits its turn.
    const queued = sealer.seal(append("ledger-B", "b"), empty, "b")
    expect(queued).toBeInstanceOf(Promise)
    sealer.unlock()
    const b = (await queued) as Sealed
    sealer.unlock()
    expect(b.expectedLastSeq).toBe(a.tip.globalPosition)
    expect(sealer.seal(append("ledger-C", "c"), empty, "c")).not.toBeInstanceOf(Promise)
  })

  it("a confirmed head is expected by sequence alone", async () => {
    const { sealer } = given()
    const { sealed: a } = await sealNow(sealer, "ledger-A", "a")
    sealer.confirm(a.tip.globalPosition, "a")
    const { sealed: b } = await sealNow(sealer, "ledger-B", "b")
    expect(b).toMatchObject({ expectedLastSeq: a.tip.globalPosition, expectedLastMsgId: undefined })
    // A confirmation for a head sealed over since changes nothing.
    sealer.confirm(a.tip.globalPosition, "a")
    expect((await sealNow(sealer, "ledger-C", "c")).sealed.expectedLastMsgId).toBe("b")
  })

  it("a doomed commit (its stream expectation cannot hold) leaves the view where it was", async () => {
    const { sealer } = given()
    const { sealed: a } = await sealNow(sealer, "ledger-A", "a")
    // The store says ledger-X has one event; the command expects no stream.
    const { sealed: doomed } = await sealNow(sealer, "ledger-X", "x", { revision: 0, subjectSeq: 3 })
    expect(doomed).toMatchObject({ generation: -1, expectedSubjectSeq: 0 })
    const doomedNumeric = await sealNow(sealer, "ledger-Y", "y", { revision: 4, subjectSeq: 5 }, 2)
    expect(doomedNumeric.sealed).toMatchObject({ generation: -1, expectedSubjectSeq: Number.MAX_SAFE_INTEGER })
    const { sealed: b } = await sealNow(sealer, "ledger-B", "b")
    expect(b.expectedLastSeq).toBe(a.tip.globalPosition)
    expect(sealer.knows("ledger-X")).toBe(false)
  })

  it("checks a mismatch against its own stream heads with the store, under the lock", async () => {
    const { sealer, asked } = given(undefined, { "ledger-A": { revision: 1, subjectSeq: 12 } })
    await sealNow(sealer, "ledger-A", "a1")
    expect(sealer.knows("ledger-A")).toBe(true)
    // Another process appended to ledger-A since (the store says revision 1): the caller expects 1.
    const { sealed, locked } = await sealNow(sealer, "ledger-A", "a2", undefined, 1)
    expect(locked).toBe(true)
    expect(asked.streams).toEqual(["ledger-A"])
    expect(sealed).toMatchObject({ expectedSubjectSeq: 12, generation: expect.any(Number) })
    expect(sealed.events[0]!.streamPosition).toBe(2)
  })

  it("a failure discards the view it was sealed on once: later failures of that view drop only their stream", async () => {
    const { sealer, asked } = given()
    const { sealed: a } = await sealNow(sealer, "ledger-A", "a")
    await sealNow(sealer, "ledger-B", "b")
    sealer.forget("ledger-A", a.generation)
    expect(sealer.knows("ledger-B")).toBe(false)
    // The next seal reads the head again, on a new view.
    const { sealed: c, locked } = await sealNow(sealer, "ledger-C", "c")
    expect(locked).toBe(true)
    expect(asked.head).toBe(2)
    // A late failure from the old view leaves the new one alone.
    sealer.forget("ledger-B", a.generation)
    expect(sealer.knows("ledger-C")).toBe(true)
    expect((await sealNow(sealer, "ledger-D", "d")).sealed.expectedLastSeq).toBe(c.tip.globalPosition)
  })
})
