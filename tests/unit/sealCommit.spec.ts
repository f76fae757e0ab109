import { describe, expect, it } from "vitest"
import { decodeCommit, prepareAppend } from "../../infra/eventStore/codec"
import { computeEventHash, EMPTY_TIP, sealCommit, verifyChain } from "../../infra/eventStore/hashChain"
import { InvalidEvent } from "../../domain/ports"
import type { DomainEvent } from "../../domain/events"

/**
 * sealCommit writes each envelope's canonical JSON once, from the canonical
 * JSON of its data and metadata, and stores that same text with the hash in
 * its place. These specs hold it to the definition: `computeEventHash` over
 * the envelope (what replays and audits recompute) and `canonicalJson`.
 */
const address = `0x${"ab".repeat(20)}`
const registration = (capabilities: Array<string>): Array<DomainEvent> =>
  [
    { _tag: "NodeKeyBound", address, nodeId: "N-1", boundAt: "2026-11-26T10:00:00.000Z" },
    {
      _tag: "NodeRegistered",
      nodeId: "N-1",
      publicKey: `0x02${"cd".repeat(32)}`,
      address,
      roles: ["trainer", "validator"],
      capabilities,
      registeredAt: "2026-11-26T10:00:00.000Z"
    }
  ] as unknown as Array<DomainEvent>

// Strings that need escaping, characters outside the BMP, keys whose UTF-16
// order differs from their code-point order, an absent optional field.
const awkward = ["gpu", 'say "hi"\\', "line\nbreak\u2028", "ünïcödé", "😀", "\u0001"]
const payload = { "\uffff": 1, "😀": 2, Z: [1.5, -0, 1e21], a: { nested: null, t: true }, é: "x" }

const prepared = () =>
  prepareAppend({
    stream: "node-N-1",
    expectedRevision: "no_stream",
    events: registration(awkward),
    commandId: "cmd-😀-1",
    metadata: {
      correlationId: "corr",
      actor: address as never,
      command: { type: "RegisterNode", id: "c1", issuedAt: "2026-11-26T10:00:00.000Z", payload }
    }
  })

const seal = (withCanonical: boolean, tip = EMPTY_TIP) => {
  const p = prepared()
  return sealCommit({
    tip,
    stream: p.stream,
    firstStreamPosition: 3,
    events: p.events,
    metadata: p.metadata,
    recordedAt: "2026-11-26T10:00:01.000Z",
    ...(withCanonical ? { canonical: p.canonical } : {})
  })
}

describe("sealCommit", () => {
  it("hashes each envelope as computeEventHash defines it, with or without the caller's canonical JSON", () => {
    const given = seal(true)
    const written = seal(false)
    expect(given.tip).toEqual(written.tip)
    expect(given.json).toBe(written.json)
    for (const event of given.events) {
      const { hash, ...rest } = event
      expect(computeEventHash(rest)).toBe(hash)
    }
    expect(given.events[1]!.prevHash).toBe(given.events[0]!.hash)
    expect(given.tip.hash).toBe(given.events[1]!.hash)
  })

  it("stores text that parses to exactly the sealed envelopes, and decodes and verifies as a commit", () => {
    const tip = { globalPosition: 41, hash: `0x${"11".repeat(32)}` as never }
    const sealed = seal(true, tip)
    const stored = JSON.parse(sealed.json) as { events: Array<Record<string, unknown>> }
    expect(stored.events).toEqual(JSON.parse(JSON.stringify(sealed.events)))
    for (const event of stored.events) {
      const { hash, ...rest } = event
      expect(computeEventHash(rest as never)).toBe(hash)
    }
    const decoded = decodeCommit(stored, 42)
    expect(decoded.map((e) => e.streamPosition)).toEqual([3, 4])
    expect(decoded[1]!.data).toMatchObject({ capabilities: awkward })
    expect(verifyChain(decoded, tip)).toMatchObject({ ok: true, verified: 2 })
  })

  it("changes the hash when any part of the envelope changes", () => {
    const base = seal(true).tip.hash
    const p = prepared()
    const variants = [
      { ...p, stream: "node-N-2" },
      { ...p, metadata: { ...p.metadata, correlationId: "other" }, canonical: undefined }
    ]
    for (const v of variants) {
      const { canonical, ...rest } = v
      const hash = sealCommit({ tip: EMPTY_TIP, firstStreamPosition: 3, recordedAt: "2026-11-26T10:00:01.000Z", ...rest, ...(canonical ? { canonical } : {}) }).tip.hash
      expect(hash).not.toBe(base)
    }
    expect(sealCommit({ tip: EMPTY_TIP, stream: p.stream, firstStreamPosition: 4, events: p.events, metadata: p.metadata, recordedAt: "2026-11-26T10:00:01.000Z" }).tip.hash).not.toBe(base)
  })
})

describe("prepareAppend's canonical JSON", () => {
  it("is written once per event and for the metadata, and measures the commit", () => {
    const p = prepared()
    expect(p.canonical.events).toHaveLength(2)
    expect(JSON.parse(p.canonical.events[1]!)).toEqual(p.events[1])
    expect(JSON.parse(p.canonical.metadata)).toEqual(JSON.parse(JSON.stringify(p.metadata)))
  })

  it("refuses metadata the hash could not cover faithfully, as an InvalidEvent", () => {
    const attempt = () =>
      prepareAppend({
        stream: "node-N-1",
        expectedRevision: "no_stream",
        events: registration(["gpu"]),
        commandId: "cmd-2",
        metadata: { command: { type: "RegisterNode", id: "c2", issuedAt: "2026-11-26T10:00:00.000Z", payload: { weight: Number.NaN } } }
      })
    expect(attempt).toThrow(InvalidEvent)
    const refused = (() => {
      try {
        attempt()
      } catch (e) {
        return e as InvalidEvent
      }
    })()
    expect(refused?.reason).toBe("metadata is not plain JSON: $.command.payload.weight: non-finite number")
  })
})
