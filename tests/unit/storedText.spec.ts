import { describe, expect, it } from "vitest"
import { commitTextBytes } from "../../infra/eventStore/codec"
import { chainVerifier, computeEventHash } from "../../infra/eventStore/hashChain"
import { toLogEntry } from "../../infra/eventStore/logConsumer"
import { hashSpans, storedHashInput } from "../../infra/eventStore/storedText"
import type { DomainEvent } from "../../domain/events"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { keccak256Hex, keccak256Matches } from "../../infra/keccak"
import { dataset, escrow, model, read, storedLog } from "../support/storedCommits"

/** keccak256 of a span's hashed bytes, joined. */
const hashOf = (hashed: ReadonlyArray<Uint8Array>) => keccak256Hex(Buffer.concat(hashed))
/** A span's hashed bytes as text. */
const textOf = (hashed: ReadonlyArray<Uint8Array>) => Buffer.concat(hashed).toString("utf8")

/**
 * A verified replay hashes each event's bytes as stored (storedText.ts)
 * instead of encoding the decoded event and writing its canonical JSON
 * again. These specs hold that shortcut to the definition
 * (`computeEventHash`): the same hashes for commits of one and of several
 * events, text inside values that looks like the hash member, and the same
 * verdicts as the definition for an intact log, an edited one, and a text
 * rewritten without changing its canonical form.
 */
const verify = (events: ReadonlyArray<RecordedEvent>) => {
  const verifier = chainVerifier()
  for (const e of events) {
    const broken = verifier.push(e)
    if (broken) return broken
  }
  return { verified: verifier.verified }
}

/** The spans cut from a sealed commit's bytes hash as the definition hashes each event (checked both ways), in order. */
const expectDefinitionsSpans = (commit: ReturnType<typeof storedLog>[number]) => {
  const spans = hashSpans(commitTextBytes(commit.json))!
  expect(spans.map((s) => s.hash)).toEqual(commit.sealed.map((e) => e.hash))
  for (const [i, span] of spans.entries()) {
    const { hash: _hash, ...rest } = commit.sealed[i]!
    expect(hashOf(span.hashed)).toBe(computeEventHash(rest))
    expect(keccak256Matches(span.hashed, computeEventHash(rest))).toBe(true)
  }
  return spans
}

describe("hashing events as stored", () => {
  const log = storedLog([[escrow(1)], [dataset(2), model(3), escrow(4), dataset(5)], [model(6)]])

  it("cuts each event's hashed bytes out of its commit, as computeEventHash hashes them, decoys in values and all", () => {
    for (const commit of log) expectDefinitionsSpans(commit)
    // A read event knows its bytes: commits of one event (found by search) and of four (scanned).
    for (const event of read(log.map((c) => c.json))) {
      expect(hashOf(storedHashInput(event)!.hashed)).toBe(event.hash)
      expect(keccak256Matches(storedHashInput(event)!.hashed, event.hash)).toBe(true)
    }
  })

  it("cuts the same spans out of text beyond ASCII (a multi-byte character is never taken for a quote or a brace)", () => {
    const names = ["Zürich \u2014 ünïcödé", '"quoted" } ] { [ \\', "数据集 🧪 \"hash\":\"0x\"", "\u0000 é"]
    const wide = storedLog([[{ ...(dataset(7) as object), name: names.join(" ") } as DomainEvent, escrow(8)], [{ ...(dataset(9) as object), name: "🧪".repeat(40) } as DomainEvent]])
    for (const commit of wide) {
      for (const [i, span] of expectDefinitionsSpans(commit).entries()) expect(textOf(span.hashed)).toContain(commit.sealed[i]!.type)
    }
    expect(verify(read(wide.map((c) => c.json)))).toEqual({ verified: 3 })
  })

  it("stores a commit's text as its UTF-8 bytes, as TextEncoder writes them, beyond ASCII and lone surrogates included", () => {
    const encoder = new TextEncoder()
    for (const text of ['{"a":"plain"}', '{"a":"é€😀"}', '{"a":"\ud800 lone"}', '{"a":"lone \udfff"}', "x".repeat(9000)]) {
      expect([...commitTextBytes(text)]).toEqual([...encoder.encode(text)])
    }
    // Unescaped lone surrogates too (canonical JSON escapes them; a writer's string may not).
    expect([...commitTextBytes("\ud800")]).toEqual([0xef, 0xbf, 0xbd])
  })

  it("compares a digest to a stored hash byte by byte, and refuses every other form of it", () => {
    const bytes = [Buffer.from("abc"), Buffer.from("def")]
    const hash = keccak256Hex("abcdef")
    expect(keccak256Matches(bytes, hash)).toBe(true)
    expect(keccak256Matches([Buffer.from("abcdef")], hash)).toBe(true)
    expect(keccak256Matches(bytes, hash.toUpperCase().replace("0X", "0x"))).toBe(false)
    expect(keccak256Matches(bytes, `${hash.slice(0, 65)}${hash[65] === "0" ? "1" : "0"}`)).toBe(false)
    expect(keccak256Matches(bytes, `0x${hash.slice(4)}${hash.slice(2, 4)}`)).toBe(false)
    expect(keccak256Matches(bytes, hash.slice(2))).toBe(false)
    expect(keccak256Matches(bytes, `${hash}00`)).toBe(false)
    expect(keccak256Matches(bytes, `0x${"g".repeat(64)}`)).toBe(false)
    // Larger than the buffer the parts are joined in: it grows, and the buffer shared with text hashing stays right.
    const large = [Buffer.alloc(10_000, 0x61), Buffer.alloc(5_000, 0x62)]
    expect(keccak256Matches(large, keccak256Hex(Buffer.concat(large)))).toBe(true)
    expect(keccak256Hex("é".repeat(3_000))).toBe(keccak256Hex(Buffer.from("é".repeat(3_000), "utf8")))
    expect(keccak256Matches(bytes, hash)).toBe(true)
  })

  it("verifies an intact log read from the store, and the same events without their text, alike", () => {
    const events = read(log.map((c) => c.json))
    // A stream's history (read without keeping texts) has none.
    expect(storedHashInput((toLogEntry("events", "events.dataset.D0", commitTextBytes(log[0]!.json), 1) as { events: ReadonlyArray<RecordedEvent> }).events[0]!)).toBeUndefined()
    expect(verify(events)).toEqual({ verified: 6 })
    expect(verify(events.map((e) => ({ ...e })))).toEqual({ verified: 6 })
  })

  it("finds an edited event whichever way it is verified", () => {
    const texts = log.map((c) => c.json)
    texts[1] = texts[1]!.replace('"amount":"1004"', '"amount":"9004"')
    const events = read(texts)
    const expected = { globalPosition: 2, indexInCommit: 2, reason: expect.stringContaining("hash mismatch") }
    expect(verify(events)).toMatchObject(expected)
    expect(verify(events.map((e) => ({ ...e })))).toMatchObject(expected)
  })

  it("leaves the last word to the definition: a text rewritten in another form with the same content still verifies", () => {
    const texts = log.map((c) => c.json)
    texts[0] = texts[0]!.replace('"owner":', ' "owner" : ')
    const events = read(texts)
    expect(storedHashInput(events[0]!)).toBeDefined()
    expect(hashOf(storedHashInput(events[0]!)!.hashed)).not.toBe(events[0]!.hash)
    expect(verify(events)).toEqual({ verified: 6 })
  })

  it("does not take a text of another shape for a commit's", () => {
    expect(hashSpans(commitTextBytes('{"events":[{"commitSize":1,"data":{}}]}'))).toBeNull()
    expect(hashSpans(commitTextBytes('{"events":[{"commitSize":1,"hash":"0x12"}]}'))).toBeNull()
    expect(hashSpans(commitTextBytes('{"events":[{"commitSize":1'))).toBeNull()
  })
})
