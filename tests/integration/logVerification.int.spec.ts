import { jetstream } from "@nats-io/jetstream"
import { Effect, Exit, Stream } from "effect"
import { describe, expect, it } from "vitest"
import type { EventStore } from "../../domain/ports"
import { commitTextBytes, prepareAppend } from "../../infra/eventStore/codec"
import { sealCommit } from "../../infra/eventStore/hashChain"
import { verifyWholeLog } from "../../infra/eventStore/wholeLog"
import { budgetEscrowed } from "../support/events"
import { jetStreamLogFixture } from "../support/jetStreamFixture"
import { natsServerPerFile } from "../support/natsServer"

/**
 * GET /events/verify on JetStream reads the log's stored bytes and decodes
 * and verifies them on worker threads (`readStoredLog`, storedLogCheck.ts).
 * On a real server its answers are those of the same verification over the
 * log read decoded (`readLog`, what other adapters are verified through):
 * the count, the tip, the first break, and every foreign message with its
 * position, stream and reason.
 */
const nats = natsServerPerFile()
const run = Effect.runPromise
const enc = (s: string) => new TextEncoder().encode(s)

/** The same verification through the decoded log (the store without its stored-bytes read). */
const decodedOnly = (store: EventStore["Service"]): EventStore["Service"] => ({ ...store, readStoredLog: undefined })

describe("verifying the log from its stored bytes on JetStream", () => {
  it("answers as the decoded log's verification: an intact log with foreign messages among ~1,000 events, then a forged commit on the chain's tip", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    expect(fx.store.readStoredLog).toBeDefined()
    const js = jetstream(fx.nc)
    const p = fx.config.subjectPrefix
    const foreign: Array<number> = []
    let next = 0
    let events = 0
    // 700 commits (every fifth of three events), 50 in flight, foreign messages published among them.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 700) {
          const i = next++
          if (i % 175 === 100) foreign.push((await js.publish(`${p}.anchor.x${i}`, enc(i % 2 ? "not an envelope" : '{"events":[]}'))).seq)
          const n = i % 5 === 0 ? 3 : 1
          await run(fx.store.append({ stream: `ledger-T${i}`, expectedRevision: "no_stream", events: Array.from({ length: n }, (_, k) => budgetEscrowed(`T${i}`, BigInt(k))), commandId: `c${i}` }))
          events += n
        }
      })
    )
    const stored = await run(verifyWholeLog(fx.store))
    expect(stored).toEqual(await run(verifyWholeLog(decodedOnly(fx.store))))
    expect(stored).toMatchObject({ ok: true, verified: events })
    expect(stored.foreignMessages.map((f) => [f.globalPosition, f.stream])).toEqual(foreign.map((seq, k) => [seq, `anchor-x${[100, 275, 450, 625][k]}`]))

    // A commit sealed on the tip at the next position, its content edited after sealing: decoded, it is a commit whose hash does not hold.
    const head = await run(fx.store.headPosition)
    const tail = await run(Stream.runCollect(fx.store.readAll({ fromPosition: head })))
    const tip = { globalPosition: head, hash: tail.at(-1)!.hash }
    const prepared = prepareAppend({ stream: "ledger-FORGED", expectedRevision: "no_stream", events: [budgetEscrowed("FORGED", 5n)], commandId: "forged" })
    const sealed = sealCommit({ tip, stream: prepared.stream, firstStreamPosition: 0, events: prepared.events, metadata: prepared.metadata, recordedAt: "2026-11-27T01:00:00.000Z", canonical: prepared.canonical })
    const forged = sealed.json.replace('"amount":"5"', '"amount":"6"')
    expect(forged).not.toBe(sealed.json)
    expect((await js.publish(`${p}.ledger.FORGED`, commitTextBytes(forged))).seq).toBe(head + 1)
    const broken = await run(verifyWholeLog(fx.store))
    expect(broken).toEqual(await run(verifyWholeLog(decodedOnly(fx.store))))
    expect(broken).toMatchObject({ ok: false, verified: events, break: { globalPosition: head + 1, reason: expect.stringContaining("hash mismatch") } })
  }, 120_000)

  it("reads the stored log from a position, and refuses a position that is none", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    for (let i = 0; i < 5; i++) await run(fx.store.append({ stream: `ledger-R${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`R${i}`, 1n)], commandId: `r${i}` }))
    const batches = await run(Stream.runCollect(fx.store.readStoredLog!({ fromPosition: 3 })))
    expect(batches.flatMap((b) => [...b.positions])).toEqual([3, 4, 5])
    expect(batches[0]!.streamAt(0)).toBe("ledger-R2")
    // Past the end: nothing.
    expect(await run(Stream.runCollect(fx.store.readStoredLog!({ fromPosition: 6 })))).toEqual([])
    const refused = await Effect.runPromiseExit(Stream.runCollect(fx.store.readStoredLog!({ fromPosition: 0 })))
    expect(Exit.isFailure(refused) && JSON.stringify(refused.cause)).toContain("InvalidEvent")
  })
})
