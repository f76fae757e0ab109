import { describe, expect, it } from "vitest"
import {
  CommandIdReused,
  EventStoreUnavailable,
  EventTooLarge,
  InvalidEvent,
  WrongExpectedVersion,
  type AppendResult
} from "../../domain/ports"
import { prepareAppend } from "../../infra/eventStore/codec"
import { forwardAnswer, forwardRequest, readForwardAnswer, readForwardRequest } from "../../infra/eventStore/forwardedAppend"
import { InMemoryLog } from "../../infra/eventStore/inMemory"
import type { Address } from "../../domain/primitives"
import { budgetEscrowed, nodeRegistered } from "../support/events"

/** The wire form of an append forwarded to the writer lease's holder (infra/eventStore/forwardedAppend.ts). */
const input = {
  stream: "ledger-T1",
  expectedRevision: 3,
  events: [budgetEscrowed("T1", 123_456_789_012_345_678_901n), budgetEscrowed("T1", 2n)],
  commandId: "cmd-1",
  metadata: { correlationId: "corr-1", actor: `0x${"ab".repeat(20)}` as Address }
} as const

const stored = async (): Promise<{ result: AppendResult }> => {
  const log = new InMemoryLog(() => new Date("2026-11-27T06:00:00.000Z"))
  await log.append(prepareAppend({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "before" }))
  const result = await log.append(prepareAppend({ ...input, expectedRevision: "no_stream" }))
  return { result }
}
const noRead = async () => {
  throw new Error("the commit was in the answer; nothing should be read")
}

describe("a forwarded append's request", () => {
  it("carries the append as the sender prepared it, and the holder reads back the same append (money past 2^53 included)", () => {
    const back = readForwardRequest(forwardRequest(prepareAppend(input)))
    expect(back).toMatchObject({ stream: input.stream, expectedRevision: 3, commandId: "cmd-1", events: input.events })
    expect(back.metadata).toMatchObject(input.metadata)
    // The holder prepares it again: the same canonical events and metadata as the sender's.
    expect(prepareAppend(back).canonical).toEqual(prepareAppend(input).canonical)
    for (const expectedRevision of ["any", "no_stream"] as const) expect(readForwardRequest(forwardRequest(prepareAppend({ ...input, expectedRevision }))).expectedRevision).toBe(expectedRevision)
  })

  it("refuses as InvalidEvent what is not one: not JSON, an unknown event, a missing command id", () => {
    const enc = (s: string) => new TextEncoder().encode(s)
    expect(() => readForwardRequest(enc("{nope"))).toThrow(InvalidEvent)
    const good = JSON.parse(new TextDecoder().decode(forwardRequest(prepareAppend(input))))
    expect(() => readForwardRequest(enc(JSON.stringify({ ...good, events: [{ _tag: "Forged" }] })))).toThrow(InvalidEvent)
    const { commandId: _dropped, ...withoutId } = good
    expect(() => readForwardRequest(enc(JSON.stringify(withoutId)))).toThrow(InvalidEvent)
  })
})

describe("a forwarded append's answer", () => {
  it("gives the sender the commit as stored, checked as a read of the log", async () => {
    const { result } = await stored()
    const back = await readForwardAnswer(forwardAnswer({ ok: result }), noRead)
    expect(back).toEqual(result)
  })

  it("answers a commit too large to send back by its position, and the sender reads it there", async () => {
    const { result } = await stored()
    const answer = forwardAnswer({ ok: result }, 200)
    expect(answer.length).toBeLessThan(200)
    const read: Array<number> = []
    const back = await readForwardAnswer(answer, async (position) => {
      read.push(position)
      // As the log would give it: the stored commit, a fresh copy.
      return structuredClone(result.events)
    })
    expect(read).toEqual([2])
    expect(back).toEqual(result)
  })

  it("gives each refusal back as its own typed error; anything else thrown is 'unavailable', which a client retries", async () => {
    const refusals = [
      new WrongExpectedVersion({ stream: "ledger-T1", expected: "no_stream", actual: "0" }),
      new InvalidEvent({ reason: "bad", eventType: "BudgetEscrowed" }),
      new CommandIdReused({ commandId: "c", stream: "ledger-T2", storedStream: "ledger-T1" }),
      new EventTooLarge({ bytes: 2_000_000, limitBytes: 1_048_576 }),
      new EventStoreUnavailable({ reason: "down" })
    ]
    for (const error of refusals) {
      const thrown = await readForwardAnswer(forwardAnswer({ error }), noRead).catch((e: unknown) => e)
      expect(thrown).toBeInstanceOf(error.constructor)
      expect(thrown).toMatchObject({ ...error })
    }
    const other = await readForwardAnswer(forwardAnswer({ error: new TypeError("boom") }), noRead).catch((e: unknown) => e)
    expect(other).toBeInstanceOf(EventStoreUnavailable)
    expect((other as EventStoreUnavailable).reason).toBe("boom")
  })

  it("refuses as 'unavailable' an answer that is not one: junk, a commit at another position, a position with no commit", async () => {
    const { result } = await stored()
    const enc = (s: string) => new TextEncoder().encode(s)
    await expect(readForwardAnswer(enc("junk"), noRead)).rejects.toBeInstanceOf(EventStoreUnavailable)
    await expect(readForwardAnswer(enc(JSON.stringify({ ok: { globalPosition: 1 } })), noRead)).rejects.toBeInstanceOf(EventStoreUnavailable)
    await expect(readForwardAnswer(enc(JSON.stringify({ error: { _tag: "Forged" } })), noRead)).rejects.toBeInstanceOf(EventStoreUnavailable)
    const moved = JSON.parse(new TextDecoder().decode(forwardAnswer({ ok: result })))
    moved.ok.globalPosition = 7
    await expect(readForwardAnswer(enc(JSON.stringify(moved)), noRead)).rejects.toMatchObject({ _tag: "EventStoreUnavailable", reason: expect.stringMatching(/does not decode: envelope claims position 2/) })
    const withoutCommit = forwardAnswer({ ok: result }, 10)
    await expect(readForwardAnswer(withoutCommit, async () => [])).rejects.toMatchObject({ _tag: "EventStoreUnavailable", reason: expect.stringMatching(/holds no commit/) })
  })
})
