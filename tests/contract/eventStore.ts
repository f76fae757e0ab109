import { Cause, Effect, Exit, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { StreamNotFound, type EventStore } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { verifyChain } from "../../infra/eventStore/hashChain"
import { budgetEscrowed, datasetRegistered, nodeRegistered } from "../support/events"

/**
 * The EventStore contract. Every adapter runs exactly these cases; an adapter
 * is done when they pass against the real store.
 *
 * `open` gives a fresh, empty, isolated log and a way to dispose of it.
 */
export type OpenStore = () => Promise<{ store: EventStore["Service"] } & AsyncDisposable>

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const runExit = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromiseExit(effect)
const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  return failure && failure._tag === "Fail" ? (failure.error as { _tag: string })._tag : `defect: ${String(exit.cause)}`
}
const collect = (stream: Stream.Stream<RecordedEvent, unknown>) => run(Stream.runCollect(stream))

export const eventStoreContract = (adapter: string, open: OpenStore) =>
  describe(`EventStore contract: ${adapter}`, () => {
    it("appends one command's events atomically as one commit with dense positions", async () => {
      await using ctx = await open()
      const result = await run(
        ctx.store.append({
          stream: "ledger-T1",
          expectedRevision: "no_stream",
          events: [budgetEscrowed("T1", 1_000n), budgetEscrowed("T1", 2_000n)],
          commandId: "cmd-1",
          metadata: { correlationId: "corr-1" }
        })
      )
      expect(result.duplicate).toBe(false)
      expect(result.globalPosition).toBe(1)
      expect(result.nextExpectedRevision).toBe(1)
      expect(result.events.map((e) => [e.streamPosition, e.globalPosition, e.indexInCommit])).toEqual([
        [0, 1, 0],
        [1, 1, 1]
      ])
      const read = await run(ctx.store.readStream("ledger-T1"))
      expect(read).toEqual(result.events)
      // Money survives the round trip as bigint, never a float.
      expect(read.map((e) => (e.data._tag === "BudgetEscrowed" ? e.data.amount : null))).toEqual([1_000n, 2_000n])
      expect(read[0]!.metadata).toEqual({ commandId: "cmd-1", correlationId: "corr-1" })
      expect(read[0]!.type).toBe("BudgetEscrowed")
      expect(read[0]!.stream).toBe("ledger-T1")
      expect(await run(ctx.store.headPosition)).toBe(1)
    })

    it("checks the expected revision and stores nothing on a conflict", async () => {
      await using ctx = await open()
      const first = await run(
        ctx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "a" })
      )
      const second = await run(
        ctx.store.append({ stream: "node-N1", expectedRevision: first.nextExpectedRevision, events: [nodeRegistered("N1")], commandId: "b" })
      )
      expect(second.nextExpectedRevision).toBe(1)
      const stale = await runExit(
        ctx.store.append({ stream: "node-N1", expectedRevision: 0, events: [nodeRegistered("N1")], commandId: "c" })
      )
      expect(failureTag(stale)).toBe("WrongExpectedVersion")
      const exists = await runExit(
        ctx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "d" })
      )
      expect(failureTag(exists)).toBe("WrongExpectedVersion")
      const ahead = await runExit(
        ctx.store.append({ stream: "node-N1", expectedRevision: 5, events: [nodeRegistered("N1")], commandId: "e" })
      )
      expect(failureTag(ahead)).toBe("WrongExpectedVersion")
      const missing = await runExit(
        ctx.store.append({ stream: "node-N2", expectedRevision: 0, events: [nodeRegistered("N2")], commandId: "f" })
      )
      expect(failureTag(missing)).toBe("WrongExpectedVersion")
      expect((await run(ctx.store.readStream("node-N1"))).length).toBe(2)
      expect(await run(ctx.store.headPosition)).toBe(2)
    })

    it("reports the actual revision in WrongExpectedVersion", async () => {
      await using ctx = await open()
      await run(ctx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1"), nodeRegistered("N1")], commandId: "a" }))
      const exit = await runExit(ctx.store.append({ stream: "node-N1", expectedRevision: 0, events: [nodeRegistered("N1")], commandId: "b" }))
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain('"actual":"1"')
    })

    it("lets exactly one of two concurrent conflicting appends win", async () => {
      await using ctx = await open()
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 1n)], commandId: "base" }))
      const attempts = await Promise.all(
        ["x", "y", "z"].map((id) =>
          runExit(ctx.store.append({ stream: "ledger-T1", expectedRevision: 0, events: [budgetEscrowed("T1", 2n)], commandId: id }))
        )
      )
      expect(attempts.filter(Exit.isSuccess).length).toBe(1)
      expect(attempts.map(failureTag).filter((t) => t !== undefined)).toEqual(["WrongExpectedVersion", "WrongExpectedVersion"])
      expect((await run(ctx.store.readStream("ledger-T1"))).length).toBe(2)
    })

    it("appends with 'any' without a check, keeping positions dense", async () => {
      await using ctx = await open()
      const results = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          run(ctx.store.append({ stream: "ledger-T9", expectedRevision: "any", events: [budgetEscrowed("T9", BigInt(i))], commandId: `any-${i}` }))
        )
      )
      expect(results.map((r) => r.nextExpectedRevision).sort()).toEqual([0, 1, 2, 3])
      const read = await run(ctx.store.readStream("ledger-T9"))
      expect(read.map((e) => e.streamPosition)).toEqual([0, 1, 2, 3])
    })

    it("treats a retried command id as a no-op and returns the first result", async () => {
      await using ctx = await open()
      const input = { stream: "ledger-T1", expectedRevision: "no_stream" as const, events: [budgetEscrowed("T1", 5n)], commandId: "retry-me" }
      const first = await run(ctx.store.append(input))
      const again = await run(ctx.store.append(input))
      expect(again.duplicate).toBe(true)
      expect(again.globalPosition).toBe(first.globalPosition)
      expect(again.events).toEqual(first.events)
      // Even when the retry arrives after the stream moved on.
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: 0, events: [budgetEscrowed("T1", 6n)], commandId: "next" }))
      const late = await run(ctx.store.append(input))
      expect(late.duplicate).toBe(true)
      expect(late.globalPosition).toBe(first.globalPosition)
      expect((await run(ctx.store.readStream("ledger-T1"))).length).toBe(2)
      expect(await run(ctx.store.headPosition)).toBe(2)
    })

    it("refuses a command id reused for another stream", async () => {
      await using ctx = await open()
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", 5n)], commandId: "same" }))
      const exit = await runExit(ctx.store.append({ stream: "ledger-T2", expectedRevision: "any", events: [budgetEscrowed("T2", 5n)], commandId: "same" }))
      expect(failureTag(exit)).toBe("CommandIdReused")
      expect(failureTag(await runExit(ctx.store.readStream("ledger-T2")))).toBe("StreamNotFound")
    })

    it("refuses unknown event types, invalid payloads, empty appends and bad stream names, storing nothing", async () => {
      await using ctx = await open()
      const bad: Array<[string, Parameters<EventStore["Service"]["append"]>[0]]> = [
        ["unknown type", { stream: "ledger-T1", expectedRevision: "any", events: [{ _tag: "TaskTeleported" } as never], commandId: "1" }],
        ["negative money", { stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", -1n)], commandId: "2" }],
        ["float money", { stream: "ledger-T1", expectedRevision: "any", events: [{ ...budgetEscrowed("T1", 1n), amount: 1.5 } as never], commandId: "3" }],
        ["bad address", { stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", 1n, "0xnope" as never)], commandId: "4" }],
        ["one bad among good", { stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", 1n), { _tag: "BudgetEscrowed" } as never], commandId: "5" }],
        ["empty", { stream: "ledger-T1", expectedRevision: "any", events: [], commandId: "6" }],
        ["stream without id", { stream: "ledger", expectedRevision: "any", events: [budgetEscrowed("T1", 1n)], commandId: "7" }],
        ["subject wildcard", { stream: "ledger-T.>", expectedRevision: "any", events: [budgetEscrowed("T1", 1n)], commandId: "8" }],
        ["negative revision", { stream: "ledger-T1", expectedRevision: -1, events: [budgetEscrowed("T1", 1n)], commandId: "9" }],
        ["empty command id", { stream: "ledger-T1", expectedRevision: "any", events: [budgetEscrowed("T1", 1n)], commandId: "" }]
      ]
      for (const [label, input] of bad) {
        const exit = await runExit(ctx.store.append(input))
        expect(failureTag(exit), label).toBe("InvalidEvent")
      }
      const unknown = await runExit(ctx.store.append(bad[0]![1]))
      expect(Exit.isFailure(unknown) && JSON.stringify(unknown.cause)).toContain("unknown event type")
      expect(await run(ctx.store.headPosition)).toBe(0)
      expect(await collect(ctx.store.readAll())).toEqual([])
    })

    it("refuses a commit over the store's message limit with EventTooLarge (not a retryable failure), storing nothing", async () => {
      await using ctx = await open()
      const big = { ...(nodeRegistered("N1") as object), capabilities: Array.from({ length: 20 }, () => "c".repeat(60_000)) } as never
      const exit = await runExit(ctx.store.append({ stream: "node-N1", expectedRevision: "any", events: [big], commandId: "big" }))
      expect(failureTag(exit)).toBe("EventTooLarge")
      expect(await run(ctx.store.headPosition)).toBe(0)
    })

    it("fails reading a stream that does not exist, and reads from a revision", async () => {
      await using ctx = await open()
      const stackTraceLimit = Error.stackTraceLimit
      const missing = await runExit(ctx.store.readStream("task-nothing"))
      expect(failureTag(missing)).toBe("StreamNotFound")
      // Made without a stack trace (ports.ts streamNotFound), and the process's limit left as it was.
      const error = Exit.isFailure(missing) ? Cause.squash(missing.cause) : undefined
      expect(error).toBeInstanceOf(StreamNotFound)
      expect(error).toMatchObject({ stream: "task-nothing" })
      expect(Error.stackTraceLimit).toBe(stackTraceLimit)
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [1n, 2n, 3n].map((a) => budgetEscrowed("T1", a)), commandId: "c" }))
      const tail = await run(ctx.store.readStream("ledger-T1", { fromRevision: 1 }))
      expect(tail.map((e) => e.streamPosition)).toEqual([1, 2])
      // Reads from any revision over several commits: inside an earlier commit,
      // at a commit's start, inside the last one, and past the end (nothing new).
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: 2, events: [budgetEscrowed("T1", 4n)], commandId: "d" }))
      await run(ctx.store.append({ stream: "ledger-T2", expectedRevision: "no_stream", events: [budgetEscrowed("T2", 1n)], commandId: "other" }))
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: 3, events: [5n, 6n].map((a) => budgetEscrowed("T1", a)), commandId: "e" }))
      const from = async (fromRevision: number) => (await run(ctx.store.readStream("ledger-T1", { fromRevision }))).map((e) => e.streamPosition)
      expect(await from(2)).toEqual([2, 3, 4, 5])
      expect(await from(3)).toEqual([3, 4, 5])
      expect(await from(4)).toEqual([4, 5])
      expect(await from(5)).toEqual([5])
      expect(await from(6)).toEqual([])
    })

    it("reads the whole log in global order, from a position, by aggregate and by stream", async () => {
      await using ctx = await open()
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 1n)], commandId: "1" }))
      await run(ctx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1"), nodeRegistered("N1")], commandId: "2" }))
      await run(ctx.store.append({ stream: "dataset-D1", expectedRevision: "no_stream", events: [datasetRegistered("D1")], commandId: "3" }))
      await run(ctx.store.append({ stream: "ledger-T2", expectedRevision: "no_stream", events: [budgetEscrowed("T2", 2n)], commandId: "4" }))
      const all = await collect(ctx.store.readAll())
      expect(all.map((e) => `${e.globalPosition}.${e.indexInCommit}:${e.stream}`)).toEqual([
        "1.0:ledger-T1", "2.0:node-N1", "2.1:node-N1", "3.0:dataset-D1", "4.0:ledger-T2"
      ])
      expect((await collect(ctx.store.readAll({ fromPosition: 3 }))).map((e) => e.globalPosition)).toEqual([3, 4])
      expect((await collect(ctx.store.readAll({ aggregate: "ledger" }))).map((e) => e.stream)).toEqual(["ledger-T1", "ledger-T2"])
      expect((await collect(ctx.store.readAll({ stream: "node-N1" }))).length).toBe(2)
      expect(await collect(ctx.store.readAll({ fromPosition: 5 }))).toEqual([])
      expect(await collect(ctx.store.readAll({ aggregate: "task" }))).toEqual([])
      expect(failureTag(await runExit(Stream.runCollect(ctx.store.readAll({ fromPosition: 0 }))))).toBe("InvalidEvent")
    })

    it("subscribes: catch-up from a position, then live, with no gap and no duplicate", async () => {
      await using ctx = await open()
      for (const i of [1, 2, 3]) {
        await run(ctx.store.append({ stream: `ledger-T${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`T${i}`, BigInt(i))], commandId: `h${i}` }))
      }
      const seen: Array<number> = []
      const fiber = Effect.runFork(
        ctx.store.subscribe({ fromPosition: 2 }).pipe(
          Stream.take(5),
          Stream.runForEach((e) => Effect.sync(() => seen.push(e.globalPosition))),
        )
      )
      // Live appends race the catch-up on purpose: the subscription must still
      // deliver each commit once, in order.
      for (const i of [4, 5, 6]) {
        await run(ctx.store.append({ stream: `ledger-T${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`T${i}`, BigInt(i))], commandId: `l${i}` }))
      }
      await run(Fiber.join(fiber))
      expect(seen).toEqual([2, 3, 4, 5, 6])
    })

    it("subscribes to one aggregate's events only", async () => {
      await using ctx = await open()
      const fiber = Effect.runFork(Stream.runCollect(ctx.store.subscribe({ aggregate: "node" }).pipe(Stream.take(2))))
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 1n)], commandId: "1" }))
      await run(ctx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "2" }))
      await run(ctx.store.append({ stream: "node-N2", expectedRevision: "no_stream", events: [nodeRegistered("N2")], commandId: "3" }))
      const got = await run(Fiber.join(fiber))
      expect(got.map((e) => e.stream)).toEqual(["node-N1", "node-N2"])
    })

    it("chains every event's hash to the previous one in global order, detectably", async () => {
      await using ctx = await open()
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: "no_stream", events: [budgetEscrowed("T1", 1n), budgetEscrowed("T1", 2n)], commandId: "1" }))
      await run(ctx.store.append({ stream: "node-N1", expectedRevision: "no_stream", events: [nodeRegistered("N1")], commandId: "2" }))
      await run(ctx.store.append({ stream: "ledger-T1", expectedRevision: 1, events: [budgetEscrowed("T1", 3n)], commandId: "3" }))
      const all = await collect(ctx.store.readAll())
      const verification = verifyChain(all)
      expect(verification.ok).toBe(true)
      expect(verification.verified).toBe(4)
      for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash)
      expect(new Set(all.map((e) => e.id)).size).toBe(4)

      // Any edit to any stored field breaks the chain exactly at that event.
      const tampered = all.map((e, i) =>
        i === 2 && e.data._tag === "NodeRegistered" ? { ...e, data: { ...e.data, capabilities: ["cuda"] } } : e
      )
      const broken = verifyChain(tampered)
      expect(broken.ok).toBe(false)
      expect(!broken.ok && broken.break.globalPosition).toBe(2)
      expect(!broken.ok && broken.break.reason).toContain("hash mismatch")
      // Dropping an event is caught too.
      const dropped = verifyChain([all[0]!, all[1]!, all[3]!])
      expect(dropped.ok).toBe(false)
    })
  })
