import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Effect, Exit, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { sealCommit, verifyChain } from "../../infra/eventStore/hashChain"
import { commitTextBytes, prepareAppend } from "../../infra/eventStore/codec"
import { toEventStore } from "../../infra/eventStore/backend"
import { JetStreamLog } from "../../infra/eventStore/jetStream"
import { consumeLog } from "../../infra/eventStore/logConsumer"
import { budgetEscrowed, nodeRegistered } from "../support/events"
import { jetStreamLogFixture } from "../support/jetStreamFixture"
import { storedHashInput } from "../../infra/eventStore/storedText"
import { keccak256Hex } from "../../infra/keccak"
import { natsServerPerFile } from "../support/natsServer"
import type { EventStore } from "../../domain/ports"

const nats = natsServerPerFile()

const run = Effect.runPromise

/** `n` one-event commits on the streams `ledger-<prefix><i>`, `inFlight` appends at a time. */
const appendCommits = async (store: EventStore["Service"], n: number, prefix: string, inFlight: number) => {
  let next = 0
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++
        await run(store.append({ stream: `ledger-${prefix}${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`${prefix}${i}`, BigInt(i))], commandId: `${prefix.toLowerCase()}${i}` }))
      }
    })
  )
}

describe("JetStream event store specifics", () => {
  it("keeps the log undeletable: deny_delete, deny_purge, allow_direct, file storage", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    await run(fx.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 1n)], commandId: "1" }))
    const jsm = await jetstreamManager(fx.nc)
    const info = await jsm.streams.info(fx.config.streamName)
    expect(info.config.deny_delete).toBe(true)
    expect(info.config.deny_purge).toBe(true)
    expect(info.config.allow_direct).toBe(true)
    expect(info.config.storage).toBe("file")
    await expect(jsm.streams.deleteMessage(fx.config.streamName, 1)).rejects.toThrow()
    await expect(jsm.streams.purge(fx.config.streamName)).rejects.toThrow()
    expect((await jsm.streams.info(fx.config.streamName)).state.messages).toBe(1)
  })

  it("stores one message per command on events.<aggregate>.<id>; the global position is the JetStream sequence", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    await run(fx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "a" }))
    const r = await run(
      fx.store.append({ stream: "ledger-T7", expectedRevision: "no_stream", events: [budgetEscrowed("T7", 1n), budgetEscrowed("T7", 2n)], commandId: "b" })
    )
    const jsm = await jetstreamManager(fx.nc)
    expect((await jsm.streams.info(fx.config.streamName)).state.messages).toBe(2)
    const msg = await jsm.direct.getMessage(fx.config.streamName, { seq: r.globalPosition })
    expect(msg?.subject).toBe(`${fx.config.subjectPrefix}.ledger.T7`)
    const stored = JSON.parse(new TextDecoder().decode(msg!.data))
    expect(stored.events.map((e: { hash: string }) => e.hash)).toEqual(r.events.map((e) => e.hash))
    // Money is a decimal string in the log.
    expect(stored.events[1].data.amount).toBe("2")
  })

  it("a subscription's catch-up reaches the head with nothing appended after it: the last batch is not held back waiting for more", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const n = 20_000
    await appendCommits(fx.store, n, "C", 500)
    // Several catch-ups, one after another, each to the last position and no further append:
    // before, one in three or so stopped a few dozen events short until the log moved again.
    for (let round = 0; round < 6; round++) {
      const seen = await run(Stream.runCollect(fx.store.subscribe().pipe(Stream.take(n))).pipe(Effect.timeout("30 seconds")))
      expect(seen.length).toBe(n)
      expect(seen[n - 1]!.globalPosition).toBe(n)
    }
  }, 180_000)

  it("reads in batches: a long log comes back whole, in order, once, in far fewer chunks than events; a read from a position stops at the head it saw", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const n = 3000
    await appendCommits(fx.store, n, "B", 200)
    const chunks: Array<number> = []
    const seen: Array<number> = []
    await run(Stream.runForEachArray(fx.store.readAll(), (events) => Effect.sync(() => (chunks.push(events.length), seen.push(...events.map((e) => e.globalPosition))))))
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    // Batches form from what the consumer has buffered: many events per step, never one step per event.
    expect(chunks.length).toBeLessThan(n / 2)
    expect(verifyChain(await run(Stream.runCollect(fx.store.readAll()))).ok).toBe(true)
    // From the middle, on one aggregate's subjects: exactly the rest, whatever lands meanwhile.
    const appendedDuring = run(fx.store.append({ stream: "ledger-LATE", expectedRevision: "no_stream", events: [budgetEscrowed("LATE", 1n)], commandId: "late" }))
    const rest = await run(Stream.runCollect(fx.store.readAll({ fromPosition: 2001, aggregate: "ledger" })))
    await appendedDuring
    expect(rest[0]!.globalPosition).toBe(2001)
    expect(rest.map((e) => e.globalPosition)).toEqual([...new Set(rest.map((e) => e.globalPosition))].sort((a, b) => a - b))
    expect(rest.length === 1000 || rest.length === 1001).toBe(true)
  })

  it("a reader slower than the log pauses the read instead of holding the log: at most maxAhead entries wait; it resumes after the last one taken in, nothing lost or repeated, no consumer left", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const n = 600
    await appendCommits(fx.store, n, "P", 100)
    const jsm = await jetstreamManager(fx.nc)
    const maxAhead = 10
    const batches: Array<number> = []
    const seen: Array<number> = []
    for await (const batch of consumeLog(jetstream(fx.nc), fx.config, `${fx.config.subjectPrefix}.>`, 1, n, false, maxAhead)) {
      batches.push(batch.length)
      for (const entry of batch) if (entry._tag === "Commit") seen.push(...entry.events.map((e) => e.globalPosition))
      // A slow reader: the server's next chunks arrive before it asks again.
      for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r))
    }
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    // A batch is what has arrived since the last one: never more than maxAhead (without the
    // pause, the whole log arrives while the reader dawdles over its first batches).
    expect(Math.max(...batches)).toBeLessThanOrEqual(maxAhead)
    // Each paused consumer was deleted, and so was the last.
    let left = -1
    for (let ask = 0; ask < 200 && left !== 0; ask++) left = (await jsm.consumers.list(fx.config.streamName).next()).length
    expect(left).toBe(0)
  })

  it("a read to a known end whose connection closes part-way fails instead of answering with part of the log", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const n = 3000
    await appendCommits(fx.store, n, "Q", 200)
    const nc = await connect({ servers: nats.server.url })
    let seen = 0
    let closing: Promise<void> | undefined
    const reading = (async () => {
      for await (const batch of consumeLog(jetstream(nc), fx.config, `${fx.config.subjectPrefix}.>`, 1, n)) {
        seen += batch.length
        // The first batch is the first chunk off the socket: most of the log is still on its way.
        closing ??= nc.close()
      }
    })()
    await expect(reading).rejects.toMatchObject({ _tag: "EventStoreUnavailable", reason: expect.stringMatching(/^the read of the log closed at \d+, before 3000$/) })
    await closing
    expect(seen).toBeLessThan(n)
  })

  it("the log as stored (readLog, what verifiers read) keeps each event's stored bytes, so its chain verifies without encoding it again; replays, subscriptions and a stream's history do not", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    await run(fx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "a" }))
    await run(fx.store.append({ stream: "ledger-T7", expectedRevision: "no_stream", events: [budgetEscrowed("T7", 1n), budgetEscrowed("T7", 2n)], commandId: "b" }))
    const logged = (await run(Stream.runCollect(fx.store.readLog()))).flatMap((entry) => (entry._tag === "Commit" ? entry.events : []))
    expect(logged.map((e) => keccak256Hex(Buffer.concat(storedHashInput(e)!.hashed)))).toEqual(logged.map((e) => e.hash))
    expect(verifyChain(logged)).toMatchObject({ ok: true, verified: 3 })
    // Without them, events verify by the definition (encoded again), with the same answer.
    const replayed = await run(Stream.runCollect(fx.store.readAll()))
    expect(replayed.map((e) => storedHashInput(e))).toEqual([undefined, undefined, undefined])
    expect(verifyChain(replayed)).toMatchObject({ ok: true, verified: 3 })
    const followed = await run(Stream.runCollect(fx.store.subscribe().pipe(Stream.take(3))))
    expect(followed.map((e) => storedHashInput(e))).toEqual([undefined, undefined, undefined])
    expect((await run(fx.store.readStream("ledger-T7"))).map((e) => storedHashInput(e))).toEqual([undefined, undefined])
  })

  it("a subscription interrupted while it waits for the next batch stops at once and leaves no consumer behind", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    await run(fx.store.append({ stream: "ledger-S1", expectedRevision: "no_stream", events: [budgetEscrowed("S1", 1n)], commandId: "s1" }))
    const jsm = await jetstreamManager(fx.nc)
    const got: Array<number> = []
    const fiber = Effect.runFork(Stream.runForEachArray(fx.store.subscribe({ fromPosition: 1 }), (events) => Effect.sync(() => got.push(...events.map((e) => e.globalPosition)))))
    while (got.length === 0) await new Promise((r) => setImmediate(r))
    expect((await jsm.consumers.list(fx.config.streamName).next()).length).toBe(1)
    // Nothing more is coming: the reader waits inside its next batch when it is interrupted.
    await run(Fiber.interrupt(fiber))
    let left = (await jsm.consumers.list(fx.config.streamName).next()).length
    for (let i = 0; i < 50 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 20))
      left = (await jsm.consumers.list(fx.config.streamName).next()).length
    }
    expect(left).toBe(0)
    expect(got).toEqual([1])
  })

  it("keeps one hash chain when independent writers append concurrently", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const other = await fx.openWriter()
    const third = await fx.openWriter()
    const writers = [fx.store, other.store, third.store]
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        run(
          writers[i % 3]!.append({
            stream: `ledger-T${i % 10}`,
            expectedRevision: "any",
            events: [budgetEscrowed(`T${i % 10}`, BigInt(i))],
            commandId: `w${i}`
          })
        )
      )
    )
    expect(new Set(results.map((r) => r.globalPosition)).size).toBe(120)
    const all = await run(Stream.runCollect(fx.store.readAll()))
    expect(all.length).toBe(120)
    expect(verifyChain(all)).toMatchObject({ ok: true, verified: 120 })
    for (let t = 0; t < 10; t++) {
      const events = await run(fx.store.readStream(`ledger-T${t}`))
      expect(events.map((e) => e.streamPosition)).toEqual(Array.from({ length: 12 }, (_, i) => i))
    }
  })

  it("keeps the chain when another writer takes a sequence a pipelined commit was sealed on (ABA)", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const other = await fx.openWriter()
    // One writer pipelines; another interleaves single appends. Commits sealed
    // on a rejected optimistic predecessor must not land on whatever took its
    // sequence number.
    const pipelined = Array.from({ length: 300 }, (_, i) =>
      run(fx.store.append({ stream: `node-P${i}`, expectedRevision: "no_stream", events: [nodeRegistered(`P${i}`)], commandId: `p${i}` }))
    )
    const interleaved = Array.from({ length: 300 }, (_, i) =>
      run(other.store.append({ stream: `ledger-O${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`O${i}`, 1n)], commandId: `o${i}` }))
    )
    await Promise.all([...pipelined, ...interleaved])
    const all = await run(Stream.runCollect(fx.store.readAll()))
    expect(all.length).toBe(600)
    expect(verifyChain(all)).toMatchObject({ ok: true, verified: 600 })
  })

  it("pipelines many appends from one writer without forking the chain", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        run(fx.store.append({ stream: `node-P${i}`, expectedRevision: "no_stream", events: [nodeRegistered(`P${i}`)], commandId: `p${i}` }))
      )
    )
    expect(results.map((r) => r.globalPosition).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
    const all = await run(Stream.runCollect(fx.store.readAll()))
    expect(verifyChain(all)).toMatchObject({ ok: true, verified: 500 })
  })

  it("a conflict in the middle of a pipeline fails only that append", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    await run(fx.store.append({ stream: "ledger-X", expectedRevision: "no_stream", events: [budgetEscrowed("X", 1n)], commandId: "x0" }))
    const exits = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        Effect.runPromiseExit(
          i === 30
            ? fx.store.append({ stream: "ledger-X", expectedRevision: 7, events: [budgetEscrowed("X", 2n)], commandId: "x-bad" })
            : fx.store.append({ stream: `ledger-Y${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`Y${i}`, 1n)], commandId: `y${i}` })
        )
      )
    )
    expect(exits.filter(Exit.isFailure).length).toBe(1)
    expect(Exit.isFailure(exits[30]!)).toBe(true)
    const all = await run(Stream.runCollect(fx.store.readAll()))
    expect(verifyChain(all)).toMatchObject({ ok: true, verified: 60 })
  })

  it("keeps a bounded number of stream heads; a stream whose head was let go is read again, and its expectations still hold", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url, { cachedStreamHeads: 2 })
    for (const id of ["A", "B", "C", "D"]) {
      await run(fx.store.append({ stream: `ledger-${id}`, expectedRevision: "no_stream", events: [budgetEscrowed(id, 1n)], commandId: `${id}0` }))
      expect(fx.log.cachedHeads).toBeLessThanOrEqual(2)
    }
    // A was let go first: "no stream" is refused by the server, a stale revision by the stream's head read back.
    const again = await Effect.runPromiseExit(fx.store.append({ stream: "ledger-A", expectedRevision: "no_stream", events: [budgetEscrowed("A", 2n)], commandId: "A-again" }))
    expect(Exit.isFailure(again) && JSON.stringify(again.cause)).toContain("WrongExpectedVersion")
    const stale = await Effect.runPromiseExit(fx.store.append({ stream: "ledger-B", expectedRevision: 5, events: [budgetEscrowed("B", 2n)], commandId: "B-stale" }))
    expect(Exit.isFailure(stale) && JSON.stringify(stale.cause)).toContain("WrongExpectedVersion")
    const next = await run(fx.store.append({ stream: "ledger-A", expectedRevision: 0, events: [budgetEscrowed("A", 3n)], commandId: "A1" }))
    expect(next.nextExpectedRevision).toBe(1)
    expect(fx.log.cachedHeads).toBeLessThanOrEqual(2)
    // A retry of a command on a stream let go is still the same command.
    expect(await run(fx.store.append({ stream: "ledger-C", expectedRevision: "no_stream", events: [budgetEscrowed("C", 1n)], commandId: "C0" }))).toMatchObject({ duplicate: true, globalPosition: 3 })
    expect(verifyChain(await run(Stream.runCollect(fx.store.readAll())))).toMatchObject({ ok: true, verified: 5 })
  })

  it("reads a stream from just after the caller's last event (the `after` hint); a wrong hint gives the same answer", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    // Commits of ledger-H interleaved with other streams', so its positions are not contiguous in the log.
    for (let i = 0; i < 6; i++) {
      await run(fx.store.append({ stream: "ledger-H", expectedRevision: i === 0 ? "no_stream" : i - 1, events: [budgetEscrowed("H", BigInt(i))], commandId: `h${i}` }))
      await run(fx.store.append({ stream: `ledger-O${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`O${i}`, 1n)], commandId: `o${i}` }))
    }
    const all = await run(fx.store.readStream("ledger-H"))
    const from = (revision: number, after?: number) => run(fx.store.readStream("ledger-H", { fromRevision: revision, ...(after === undefined ? {} : { after }) }))
    const expected = all.slice(2).map((e) => e.id)
    // The right hint, hints too late (would skip events), too early, and beyond the stream: all the same events.
    for (const after of [all[1]!.globalPosition, all[3]!.globalPosition, all[0]!.globalPosition, 1, 10_000, undefined]) {
      expect((await from(2, after)).map((e) => e.id), `after ${after}`).toEqual(expected)
    }
    expect(await from(6, all[5]!.globalPosition)).toEqual([])
    const refused = await Effect.runPromiseExit(fx.store.readStream("ledger-H", { fromRevision: -1 }))
    expect(Exit.isFailure(refused) && JSON.stringify(refused.cause)).toMatch(/InvalidEvent.*fromRevision/)
  })

  it("reads a stream's last message by direct get when the stream has one copy, and from the leader when it has replicas", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    await run(fx.store.append({ stream: "ledger-D", expectedRevision: "no_stream", events: [budgetEscrowed("D", 1n)], commandId: "d1" }))
    // Every request the log makes for a single message, seen by a subscriber beside JetStream's own.
    const seen: Array<string> = []
    const watch = fx.nc.subscribe(`$JS.API.>`, {
      callback: (_e, m) => {
        if (m.subject.includes(fx.config.streamName)) seen.push(m.subject)
      }
    })
    const heard = async (f: () => Promise<unknown>) => {
      seen.length = 0
      await f()
      await fx.nc.flush()
      return seen.map((subject) => (subject.startsWith("$JS.API.DIRECT.GET.") ? "direct" : subject.startsWith("$JS.API.STREAM.MSG.GET.") ? "leader" : subject))
    }
    const read = (store: typeof fx.store, revision: number) => () => run(store.readStream("ledger-D", { fromRevision: revision }))
    // The fixture's stream was created with one replica: direct gets.
    expect(await heard(read(fx.store, 0))).toContain("direct")
    expect(await heard(read(fx.store, 1))).toEqual(["direct"])
    expect(await heard(() => run(fx.store.append({ stream: "ledger-D", expectedRevision: 0, events: [budgetEscrowed("D", 2n)], commandId: "d2" })))).not.toContain("leader")
    // A log told its stream has three replicas asks the leader for the same reads.
    const js = jetstream(fx.nc)
    const replicated = toEventStore(new JetStreamLog(js, await jetstreamManager(fx.nc), fx.config, () => new Date(), 3))
    expect(await heard(read(replicated, 2))).toEqual(["leader"])
    expect(await run(replicated.readStream("ledger-D"))).toEqual(await run(fx.store.readStream("ledger-D")))
    watch.unsubscribe()
  })

  it("finds a command stored by an earlier try the server no longer connects to it, among the commits since the revision it expected", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const first = await run(fx.store.append({ stream: "ledger-R", expectedRevision: "no_stream", events: [budgetEscrowed("R", 1n)], commandId: "r1" }))
    // Command r2 stored right after, by another writer, under a message id the server does not
    // connect to r2 (as once the duplicate window has passed, or after a reseal's `~attempt` id).
    const prepared = prepareAppend({ stream: "ledger-R", expectedRevision: 0, events: [budgetEscrowed("R", 2n)], commandId: "r2" })
    const sealed = sealCommit({ tip: { globalPosition: first.globalPosition, hash: first.events[0]!.hash }, stream: "ledger-R", firstStreamPosition: 1, events: prepared.events, metadata: prepared.metadata, recordedAt: "2026-11-26T10:00:00.000Z" })
    const ack = await jetstream(fx.nc).publish(`${fx.config.subjectPrefix}.ledger.R`, commitTextBytes(sealed.json), { msgID: "r2-forgotten" })
    expect(ack.seq).toBe(first.globalPosition + 1)
    // This writer still holds revision 0 as the stream's head: its retry of r2 is refused by the
    // server, and the stream, read from just after revision 0's commit, holds r2 already.
    const retry = await run(fx.store.append({ stream: "ledger-R", expectedRevision: 0, events: [budgetEscrowed("R", 2n)], commandId: "r2" }))
    expect(retry).toMatchObject({ duplicate: true, globalPosition: ack.seq, nextExpectedRevision: 1 })
  })

  it("recognises a retry sent by a different writer (e.g. after a crash) as the same command", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const input = { stream: "ledger-T1", expectedRevision: "no_stream" as const, events: [budgetEscrowed("T1", 9n)], commandId: "crash-retry" }
    const first = await run(fx.store.append(input))
    const restarted = await fx.openWriter()
    const retry = await run(restarted.store.append(input))
    expect(retry).toMatchObject({ duplicate: true, globalPosition: first.globalPosition })
    // The fresh writer learned the head from the store and keeps appending on the chain.
    await run(restarted.store.append({ stream: "ledger-T1", expectedRevision: 0, events: [budgetEscrowed("T1", 10n)], commandId: "after" }))
    expect(verifyChain(await run(Stream.runCollect(fx.store.readAll())))).toMatchObject({ ok: true, verified: 2 })
  })

  it("refuses to open a log whose stream lost its audit guarantees", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url)
    const jsm = await jetstreamManager(fx.nc)
    const name = `${fx.config.streamName}_LAX`
    await jsm.streams.add({ name, subjects: [`lax${fx.config.subjectPrefix}.>`] })
    const { JetStreamLog } = await import("../../infra/eventStore/jetStream")
    await expect(
      JetStreamLog.open(fx.nc, { ...fx.config, streamName: name, subjectPrefix: `lax${fx.config.subjectPrefix}` })
    ).rejects.toMatchObject({ _tag: "EventStoreUnavailable" })
    await jsm.streams.delete(name)
  })
})
