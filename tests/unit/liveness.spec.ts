import { describe, expect, it } from "vitest"
import { isSilent, LIVENESS_TIMEOUT_MS, slotsToReassign, validatorsToReplace, type Sightings } from "../../nodes/dispatcher/liveness"

/**
 * Failure detection (pure: nodes/dispatcher/liveness.ts), on a 600 s round:
 * a silent node loses its work 15 s after its last sign of life, not at half
 * the round (300 s). Times in seconds from the round's start.
 */
const t0 = Date.parse("2026-11-25T10:00:00.000Z")
const ms = (s: number) => t0 + s * 1000
const iso = (s: number) => new Date(ms(s)).toISOString()
const seen = (nowS: number, beats: Record<string, number>, watchingSinceS = -1000): Sightings => ({
  lastSeen: new Map(Object.entries(beats).map(([n, s]) => [n, ms(s)])),
  watchingSince: ms(watchingSinceS),
  nowMs: ms(nowS)
})
const participant = (nodeId: string, role: "trainer" | "validator") => [nodeId, { nodeId, role, address: `0x${nodeId}` }] as const
const task = {
  participants: new Map([participant("tA", "trainer"), participant("tB", "trainer"), participant("tC", "trainer"), ...["v1", "v2", "v3", "v4"].map((v) => participant(v, "validator"))])
} as never
const round = (assignments: Array<{ slot: number; nodeId: string; at: number }>) =>
  ({
    deadline: iso(600),
    assignments: assignments.map((a) => ({ slot: a.slot, nodeId: a.nodeId, shardIds: [`s${a.slot}`], seed: a.slot, dispatchedAt: iso(a.at) }))
  }) as { deadline: string; assignments: Array<never> }
const delivered = (slot: number, outcome?: "verified" | "rejected") => ({ proof: { seed: slot, shardIds: [`s${slot}`] }, ...(outcome ? { outcome } : {}) }) as never
const allBeating = (s: number) => ({ tA: s, tB: s, tC: s, v1: s, v2: s, v3: s, v4: s })

describe("isSilent", () => {
  it("a node is live for the timeout after its last heartbeat", () => {
    expect(isSilent("n", ms(0), seen(10 + LIVENESS_TIMEOUT_MS / 1000, { n: 10 }))).toBe(false)
    expect(isSilent("n", ms(0), seen(10.001 + LIVENESS_TIMEOUT_MS / 1000, { n: 10 }))).toBe(true)
  })
  it("the assignment itself counts as a sign of life (a node never heard from gets the timeout from it)", () => {
    expect(isSilent("n", ms(100), seen(114, {}))).toBe(false)
    expect(isSilent("n", ms(100), seen(116, {}))).toBe(true)
  })
  it("a coordinator that just started listening gives every node the timeout", () => expect(isSilent("n", ms(0), seen(110, {}, 100))).toBe(false))
})

describe("slotsToReassign", () => {
  const twoSlots = round([
    { slot: 0, nodeId: "tA", at: 0 },
    { slot: 1, nodeId: "tB", at: 0 }
  ])
  it("given a trainer silent for 15 s after its last heartbeat, when nothing was delivered, then its slot goes to a live trainer", () => {
    const beats = { ...allBeating(20), tA: 4 }
    expect(slotsToReassign(task, twoSlots, [], seen(19, beats), 600)).toEqual([])
    expect(slotsToReassign(task, twoSlots, [], seen(20, beats), 600)).toEqual([{ assignment: { slot: 0, nodeId: "tC", shardIds: ["s0"], seed: 0 }, attempt: 1, from: "tA", to: "tC", why: "silent" }])
  })
  it("not a slot that was delivered, even by a node gone silent since", () =>
    expect(slotsToReassign(task, twoSlots, [delivered(0)], seen(100, { ...allBeating(100), tA: 4 }), 600)).toEqual([]))
  it("a rejected delivery does not hold the slot", () =>
    expect(slotsToReassign(task, twoSlots, [delivered(0, "rejected")], seen(100, { ...allBeating(100), tA: 4 }), 600).map((h) => h.to)).toEqual(["tC"]))
  it("live trainers keep their slots until half the round, then an undelivered slot is handed over once", () => {
    expect(slotsToReassign(task, twoSlots, [delivered(1)], seen(299, allBeating(299)), 600)).toEqual([])
    expect(slotsToReassign(task, twoSlots, [delivered(1)], seen(301, allBeating(301)), 600).map((h) => [h.to, h.why])).toEqual([["tC", "late"]])
    const handedOver = round([{ slot: 0, nodeId: "tA", at: 0 }, { slot: 1, nodeId: "tB", at: 0 }, { slot: 0, nodeId: "tC", at: 301 }])
    expect(slotsToReassign(task, handedOver, [delivered(1)], seen(400, allBeating(400)), 600)).toEqual([])
  })
  it("a second silent assignee: the slot moves again, numbered by its dispatches", () => {
    const handedOver = round([{ slot: 0, nodeId: "tA", at: 0 }, { slot: 1, nodeId: "tB", at: 0 }, { slot: 0, nodeId: "tC", at: 20 }])
    expect(slotsToReassign(task, handedOver, [delivered(1)], seen(40, { ...allBeating(40), tA: 4, tC: 21 }), 600)).toEqual([
      { assignment: { slot: 0, nodeId: "tB", shardIds: ["s0"], seed: 0 }, attempt: 2, from: "tC", to: "tB", why: "silent" }
    ])
  })
  it("never to a silent trainer: with no live one the slot waits", () =>
    expect(slotsToReassign(task, twoSlots, [delivered(1)], seen(100, { v1: 100 }), 600)).toEqual([]))
  it("the least loaded live trainer first", () =>
    expect(slotsToReassign(task, round([{ slot: 0, nodeId: "tA", at: 0 }, { slot: 1, nodeId: "tC", at: 0 }]), [], seen(30, { ...allBeating(30), tA: 1 }), 600).map((h) => h.to)).toEqual(["tB"]))
})

describe("validatorsToReplace", () => {
  const result = (o: { validators: Array<string>; votes?: Array<string>; committed?: Array<string>; outcome?: "verified"; requestedAt?: number; replaced?: Array<string> }) =>
    ({
      resultId: "r1",
      nodeId: "tA",
      trainer: "0xtA",
      validators: o.validators,
      votes: (o.votes ?? []).map((nodeId) => ({ nodeId })),
      commitments: new Map((o.committed ?? []).map((n) => [n, "0x"])),
      requestedAt: iso(o.requestedAt ?? 0),
      ...(o.outcome ? { outcome: o.outcome } : {}),
      ...(o.replaced ? { replaced: o.replaced } : {})
    }) as never
  it("given a judge silent for 15 s that has neither committed nor voted, then it is taken off (the draw picks who replaces it)", () => {
    const r = result({ validators: ["v1", "v2", "v3"] })
    expect(validatorsToReplace([r], seen(15, { ...allBeating(15), v2: 0 }))).toEqual([])
    expect(validatorsToReplace([r], seen(16, { ...allBeating(16), v2: 0 }))).toEqual([{ resultId: "r1", nodeId: "v2" }])
  })
  it("not one that voted or committed, nor on a decided result", () => {
    expect(validatorsToReplace([result({ validators: ["v1", "v2", "v3"], votes: ["v2"] })], seen(100, { ...allBeating(100), v2: 0 }))).toEqual([])
    expect(validatorsToReplace([result({ validators: ["v1", "v2", "v3"], committed: ["v2"] })], seen(100, { ...allBeating(100), v2: 0 }))).toEqual([])
    expect(validatorsToReplace([result({ validators: ["v1", "v2", "v3"], outcome: "verified" })], seen(100, { ...allBeating(100), v2: 0 }))).toEqual([])
  })
})
