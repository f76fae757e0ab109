import { describe, expect, it } from "vitest"
import { roundCanClose } from "../../nodes/dispatcher/plan"

/**
 * When the coordinator closes a round (pure: nodes/dispatcher/plan.ts). The
 * round: 600 s, so late votes are awaited 30 s after a decision (5%).
 */
const t0 = Date.parse("2026-11-25T10:00:00.000Z")
const at = (seconds: number) => t0 + seconds * 1000
const iso = (seconds: number) => new Date(at(seconds)).toISOString()
const round = { deadline: iso(600), assignments: [{ slot: 0, nodeId: "tA", shardIds: ["s1"], seed: 1 }, { slot: 1, nodeId: "tB", shardIds: ["s2"], seed: 2 }] } as never
const result = (slot: 0 | 1, o: { outcome?: "verified" | "rejected"; votes?: number; decidedAt?: number }) =>
  ({
    proof: { seed: slot + 1, shardIds: [`s${slot + 1}`] },
    validators: ["v1", "v2", "v3"],
    votes: Array.from({ length: o.votes ?? 0 }, (_, i) => ({ nodeId: `v${i + 1}` })),
    ...(o.outcome ? { outcome: o.outcome } : {}),
    ...(o.decidedAt === undefined ? {} : { decidedAt: iso(o.decidedAt) })
  }) as never

describe("roundCanClose", () => {
  it("not while a slot has no decided result", () =>
    expect(roundCanClose(round, [result(0, { outcome: "verified", votes: 3, decidedAt: 10 })], 600, at(20))).toBe(false))
  it("not while a result is undecided", () =>
    expect(roundCanClose(round, [result(0, { outcome: "verified", votes: 3, decidedAt: 10 }), result(1, { votes: 1 })], 600, at(20))).toBe(false))
  it("as soon as every slot is decided and every assigned validator voted", () =>
    expect(roundCanClose(round, [result(0, { outcome: "verified", votes: 3, decidedAt: 10 }), result(1, { outcome: "rejected", votes: 3, decidedAt: 12 })], 600, at(13))).toBe(true))
  it("waits for a late vote within the verification window after the decision", () =>
    expect(roundCanClose(round, [result(0, { outcome: "verified", votes: 2, decidedAt: 10 }), result(1, { outcome: "verified", votes: 3, decidedAt: 12 })], 600, at(39))).toBe(false))
  it("stops waiting for a validator that never votes once the window has passed", () =>
    expect(roundCanClose(round, [result(0, { outcome: "verified", votes: 2, decidedAt: 10 }), result(1, { outcome: "verified", votes: 3, decidedAt: 12 })], 600, at(40))).toBe(true))
  it("the window is at least 5 s, however short the round", () => {
    const short = { ...(round as object), deadline: iso(20) } as never
    const results = [result(0, { outcome: "verified", votes: 2, decidedAt: 10 }), result(1, { outcome: "verified", votes: 3, decidedAt: 10 })]
    expect(roundCanClose(short, results, 20, at(14))).toBe(false)
    expect(roundCanClose(short, results, 20, at(15))).toBe(true)
  })
  it("does not wait for a validator known to be silent", () => {
    const results = [result(0, { outcome: "verified", votes: 2, decidedAt: 10 }), result(1, { outcome: "verified", votes: 3, decidedAt: 12 })]
    expect(roundCanClose(round, results, 600, at(13), (n) => n === "v1")).toBe(false)
    expect(roundCanClose(round, results, 600, at(13), (n) => n === "v3")).toBe(true)
  })
  it("always past the deadline", () => expect(roundCanClose(round, [], 600, at(601))).toBe(true))
})
