import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { loadBondedTotal, loadNodeStake } from "../../commands/stakeFacts"
import type { DomainEvent } from "../../domain/events"
import { EventStore } from "../../domain/ports"
import { layerInMemory } from "../../infra/eventStore/inMemory"
import { address } from "../support/events"

/**
 * A node's voting stake: its bonds less its withdrawals, less what the tasks
 * it committed stake to slashed it (a slash in a task it never joined does
 * not count, as before), from folds that read only what is new.
 */
const run = <A, E>(effect: Effect.Effect<A, E, EventStore>) => Effect.runPromise(effect.pipe(Effect.provide(layerInMemory())))
const at = "2026-11-27T05:00:00.000Z"
const bonded = (nodeId: string, amount: bigint): DomainEvent => ({ _tag: "StakeBonded", nodeId, address: address(7), amount, bondedAt: at }) as DomainEvent
const withdrawn = (nodeId: string, amount: bigint): DomainEvent => ({ _tag: "StakeWithdrawn", nodeId, address: address(7), amount, withdrawnAt: at }) as DomainEvent
const committed = (nodeId: string, taskId: string): DomainEvent => ({ _tag: "StakeCommitted", nodeId, address: address(7), taskId, amount: 10n, committedAt: at }) as DomainEvent
const slashed = (nodeId: string, taskId: string, amount: bigint): DomainEvent =>
  ({ _tag: "StakeSlashed", taskId, round: 1, resultId: `r-${nodeId}-${amount}`, nodeId, address: address(7), amount, referee: address(8), refereeReward: 0n, burned: amount, reason: "forged", slashedAt: at }) as DomainEvent

describe("a node's stake for governance (loadNodeStake)", () => {
  it("given bonds, withdrawals and slashes, then it holds bonds − withdrawals − slashes in the tasks it joined, and follows new events", () =>
    run(
      Effect.gen(function* () {
        const store = yield* EventStore
        let n = 0
        const append = (stream: string, event: DomainEvent) => store.append({ stream, expectedRevision: "any", events: [event], commandId: `c${n++}` })
        yield* append("node-N1", bonded("N1", 100n))
        yield* append("node-N1", withdrawn("N1", 20n))
        yield* append("node-N1", committed("N1", "T1"))
        yield* append("node-N1", committed("N1", "T2"))
        yield* append("task-T2", slashed("N1", "T2", 30n))
        // Another node's slash, and N1's in a task it never committed stake to: neither counts.
        yield* append("task-T1", slashed("N2", "T1", 5n))
        yield* append("task-T3", slashed("N1", "T3", 7n))
        expect(yield* loadNodeStake("N1")).toBe(50n)
        // The network's total: every bond less every withdrawal and every slash, wherever it fell.
        expect(yield* loadBondedTotal()).toBe(100n - 20n - 30n - 5n - 7n)
        // New events after the first answer are folded on.
        yield* append("task-T1", slashed("N1", "T1", 10n))
        yield* append("node-N1", bonded("N1", 5n))
        expect(yield* loadNodeStake("N1")).toBe(45n)
        expect(yield* loadBondedTotal()).toBe(100n - 20n - 30n - 5n - 7n - 10n + 5n)
        yield* append("node-N1", committed("N1", "T3"))
        expect(yield* loadNodeStake("N1")).toBe(38n)
        expect(yield* loadNodeStake("N2")).toBe(0n)
        expect(yield* loadNodeStake("nobody")).toBe(0n)
      })
    ))
})
