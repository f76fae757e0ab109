import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { Effect, Exit, Stream } from "effect"
import { describe, expect, it, vi } from "vitest"
import type { DomainEvent } from "../../domain/events"
import type { EventStore } from "../../domain/ports"
import { verifyChain } from "../../infra/eventStore/hashChain"
import { writerLeaseNames } from "../../infra/eventStore/writerLease"
import { appendForwards, appendReseals } from "../../infra/metrics"
import { budgetEscrowed } from "../support/events"
import { jetStreamLogFixture } from "../support/jetStreamFixture"
import { countedIn } from "../support/metrics"
import { natsServerPerFile } from "../support/natsServer"

/**
 * The writer lease (infra/eventStore/writerLease.ts, writerForwarding.ts):
 * several processes write one log, one of them appends for all. Each writer
 * here has its own NATS connection, as separate API processes do.
 */
const nats = natsServerPerFile()

const run = Effect.runPromise

const append = (store: EventStore["Service"], stream: string, commandId: string, events: ReadonlyArray<DomainEvent> = [budgetEscrowed("T1", 1n)]) =>
  run(store.append({ stream, expectedRevision: "no_stream", events, commandId }))

const readAll = (store: EventStore["Service"]) => run(Stream.runCollect(store.readAll()))

// Long enough that no renewal is late on a busy machine: these tests are about forwarding, not expiry.
const steadyLease = { writerLease: true, writerLeaseMs: 30_000, forwardTimeoutMs: 30_000 }

describe("the writer lease", () => {
  it("one writer holds it and the others forward to it: three writers' pipelined appends land on one chain without a single reseal", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url, steadyLease)
    const b = await fx.openWriter()
    const c = await fx.openWriter()
    expect([fx.log.holdsWriterLease, b.log.holdsWriterLease, c.log.holdsWriterLease]).toEqual([true, false, false])
    const reseals = await countedIn(appendReseals)
    const forwarded = await countedIn(appendForwards, "forwarded")
    const served = await countedIn(appendForwards, "served")

    const perWriter = 120
    const results = await Promise.all(
      [fx.store, b.store, c.store].flatMap((store, w) =>
        Array.from({ length: perWriter }, (_, i) => append(store, `ledger-W${w}x${i}`, `lease-${w}-${i}`))
      )
    )
    // Every append answered with its own commit, each at its own position.
    const positions = results.map((r) => r.globalPosition).sort((x, y) => x - y)
    expect(positions).toEqual(Array.from({ length: 3 * perWriter }, (_, i) => i + 1))
    expect(results.every((r) => !r.duplicate && r.events.length === 1)).toBe(true)
    expect(results.map((r) => r.events[0]!.stream)).toEqual([0, 1, 2].flatMap((w) => Array.from({ length: perWriter }, (_, i) => `ledger-W${w}x${i}`)))
    // The two followers' appends went through the holder, and nobody resealed.
    expect((await countedIn(appendForwards, "forwarded")) - forwarded).toBe(2 * perWriter)
    expect((await countedIn(appendForwards, "served")) - served).toBe(2 * perWriter)
    expect((await countedIn(appendReseals)) - reseals).toBe(0)
    const log = await readAll(b.store)
    expect(log.length).toBe(3 * perWriter)
    expect(verifyChain(log)).toMatchObject({ ok: true, verified: 3 * perWriter })
  })

  it("answers through the holder as the log itself does: typed refusals append nothing, a retried command id gives back its first commit", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url, steadyLease)
    const follower = await fx.openWriter()
    expect(follower.log.holdsWriterLease).toBe(false)
    const forwarded = await countedIn(appendForwards, "forwarded")
    const first = await append(follower.store, "ledger-T1", "cmd-1")
    expect(first).toMatchObject({ globalPosition: 1, nextExpectedRevision: 0, duplicate: false })
    expect(first.events[0]!.data).toEqual(budgetEscrowed("T1", 1n))

    const refused = await Effect.runPromiseExit(follower.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 2n)], commandId: "cmd-2" }))
    expect(Exit.isFailure(refused) && refused.cause.toString()).toContain("WrongExpectedVersion")
    const again = await append(follower.store, "ledger-T1", "cmd-1")
    expect(again).toMatchObject({ globalPosition: 1, duplicate: true })
    expect(again.events.map((e) => e.hash)).toEqual(first.events.map((e) => e.hash))
    const reused = await Effect.runPromiseExit(follower.store.append({ stream: "ledger-T2", expectedRevision: "no_stream", events: [budgetEscrowed("T2", 1n)], commandId: "cmd-1" }))
    expect(Exit.isFailure(reused) && reused.cause.toString()).toContain("CommandIdReused")
    // All four went through the holder, and nothing but the first commit was stored.
    expect((await countedIn(appendForwards, "forwarded")) - forwarded).toBe(4)
    expect((await readAll(fx.store)).map((e) => e.metadata.commandId)).toEqual(["cmd-1"])
  })

  it("asks a holder that does not answer once, not on every append: the writer appends itself for a lease's time (nobody answering at all costs no wait)", async () => {
    await using fx = await jetStreamLogFixture(nats.server.url, { ...steadyLease, forwardTimeoutMs: 300 })
    const b = await fx.openWriter()
    await fx.log.close()
    const appendedHere = await countedIn(appendForwards, "appendedHere")
    // Nobody holds the lease and nobody answers: appended here at once, and the next append asks again.
    await append(b.store, "ledger-H0", "h-0")
    // A hung holder: it holds the lease and is subscribed, and never answers.
    const names = writerLeaseNames(fx.config)
    const released = await (await jetstreamManager(fx.nc)).direct.getMessage(names.stream, { last_by_subj: names.lease })
    await jetstream(fx.nc).publish(names.lease, "hung", { expect: { lastSubjectSequence: released!.seq } })
    let asked = 0
    const hung = fx.nc.subscribe(names.append, { queue: "writer", callback: () => void asked++ })
    await fx.nc.flush()
    for (let i = 1; i <= 5; i++) await append(b.store, `ledger-H${i}`, `h-${i}`)
    expect(asked).toBe(1)
    expect((await countedIn(appendForwards, "appendedHere")) - appendedHere).toBe(6)
    // Its lease still stands until it ages out: nobody else takes it meanwhile.
    await b.log.stepWriterLease()
    expect(b.log.holdsWriterLease).toBe(false)
    hung.unsubscribe()
    expect(verifyChain(await readAll(b.store))).toMatchObject({ ok: true, verified: 6 })
  })

  it("is handed over when its holder leaves; with nobody answering a writer appends itself, and takes the lease once the old one ages out", async () => {
    // A short wait for the holder: the server may not yet have noticed the dead holder's
    // connection, and route the append to it (then the sender waits this long, and appends itself).
    await using fx = await jetStreamLogFixture(nats.server.url, { writerLease: true, writerLeaseMs: 1_000, forwardTimeoutMs: 500 })
    const b = await fx.openWriter()
    // A holder that closes hands the lease back: the next try takes it.
    await fx.log.close()
    await b.log.stepWriterLease()
    expect(b.log.holdsWriterLease).toBe(true)
    const forwarded = await countedIn(appendForwards, "forwarded")
    await append(b.store, "ledger-B1", "b-1")
    expect(await countedIn(appendForwards, "forwarded")).toBe(forwarded)

    // A holder that dies keeps the lease until it ages out; meanwhile nobody answers, and a writer appends itself.
    const c = await fx.openWriter()
    expect(c.log.holdsWriterLease).toBe(false)
    await b.nc.close()
    const appendedHere = await countedIn(appendForwards, "appendedHere")
    const r = await append(c.store, "ledger-C1", "c-1")
    expect(r.globalPosition).toBe(2)
    expect((await countedIn(appendForwards, "appendedHere")) - appendedHere).toBe(1)
    // The dead holder's lease message ages out on the server; the next try then takes it.
    await vi.waitFor(
      async () => {
        await c.log.stepWriterLease()
        expect(c.log.holdsWriterLease).toBe(true)
      },
      { timeout: 30_000, interval: 200 }
    )
    expect(verifyChain(await readAll(c.store))).toMatchObject({ ok: true, verified: 2 })
  }, 60_000)
})
