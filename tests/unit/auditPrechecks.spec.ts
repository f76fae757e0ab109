import { Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { DomainEvent } from "../../domain/events"
import { RecordedEvent } from "../../domain/recordedEvent"
import { commitTextBytes } from "../../infra/eventStore/codec"
import { verifyChain } from "../../infra/eventStore/hashChain"
import { hashSpans } from "../../infra/eventStore/storedText"
import { keccak256Hex } from "../../infra/keccak"
import { hashCheckThreads, stopHashCheckPool } from "../../infra/eventStore/hashCheckPool"
import { stopRecoverPool } from "../../infra/identity/recoverPool"
import { generateKeyPair } from "../../infra/identity/signature"
import { auditLog } from "../../projections/audit"
import { auditPrechecks } from "../../projections/auditPrechecks"
import { dataset, escrow, model, read, storedLog } from "../support/storedCommits"

/**
 * GET /audit checks hashes and signatures on worker threads first
 * (auditPrechecks.ts) and leaves the rest to `auditLog`: the report must be
 * the one `auditLog` gives alone, problems included, for a log read as
 * stored (stored bytes known) and for the same events without their bytes.
 */
afterAll(async () => {
  await stopHashCheckPool()
  await stopRecoverPool()
})

const key = generateKeyPair()
const commits: Array<ReadonlyArray<DomainEvent>> = []
for (let i = 0; i < 200; i++) commits.push(i % 3 === 2 ? [dataset(4 * i), model(4 * i + 1), escrow(4 * i + 2)] : [escrow(4 * i)])
const signed = storedLog(commits, key).map((c) => c.json)
const encodeAll = Schema.encodeSync(Schema.Array(RecordedEvent))

/** The report with the prechecks equals the report without; returned. */
const expectSameReport = async (events: ReadonlyArray<RecordedEvent>) => {
  const encoded = encodeAll(events)
  const alone = auditLog(encoded)
  expect(auditLog(encoded, undefined, [], await auditPrechecks(events))).toEqual(alone)
  // In many jobs (six, a few in flight at once, the last too small for a thread) and many signature chunks.
  expect(auditLog(encoded, undefined, [], await auditPrechecks(events, { jobEvents: 64, signatureChunk: 7 }))).toEqual(alone)
  return alone
}

describe("the audit's hash and signature checks on worker threads", () => {
  it("gives the same clean report for an intact signed log, read as stored or without its bytes", async () => {
    const events = read(signed)
    const report = await expectSameReport(events)
    expect(report).toMatchObject({ ok: true, events: 332, commits: 200, signaturesVerified: 200, unsignedCommits: 0, problems: [] })
    expect(hashCheckThreads()).toBeGreaterThan(0)
    // The threads settle them: every hash confirmed, every signature recovered (nothing left to the event loop).
    const prechecks = await auditPrechecks(events)
    expect(events.filter((_, i) => !prechecks.hashConfirmed!(i))).toEqual([])
    expect(events.filter((e, i) => e.indexInCommit === 0 && prechecks.signature!(i) !== true)).toEqual([])
    await expectSameReport(events.map((e) => ({ ...e })))
  })

  it("reports an edited event and a signature over another command where auditLog alone reports them", async () => {
    const texts = [...signed]
    texts[10] = texts[10]!.replace('"amount":"1040"', '"amount":"9040"')
    // Commit 20 carries commit 21's signature: valid, but over another command.
    const signatureOf = (text: string) => /"signature":"(0x[0-9a-f]{130})"/.exec(text)![1]!
    texts[20] = texts[20]!.split(signatureOf(texts[20]!)).join(signatureOf(texts[21]!))
    const events = read(texts)
    const report = await expectSameReport(events)
    expect(report.problems.map((p) => [p.kind, p.globalPosition])).toEqual(
      expect.arrayContaining([
        ["edited", 11],
        ["signature", 21]
      ])
    )
    expect(report.signaturesVerified).toBe(199)
    await expectSameReport(events.map((e) => ({ ...e })))
  })

  it("keeps the audit's own hash check: a text that hashes to its claim but is not the canonical form of what it decodes to is reported", async () => {
    const texts = [...signed]
    const last = texts.length - 1
    // The amount twice: JSON.parse keeps the second, so the event decodes as before, from a text no sealer writes.
    const doubled = texts[last]!.replace('"amount":"', '"amount":"0","amount":"')
    const span = hashSpans(commitTextBytes(doubled))![0]!
    // Its claimed hash rewritten to that text's: the bytes hash to their claim (and nothing links after it).
    texts[last] = doubled.replace(span.hash, keccak256Hex(Buffer.concat(span.hashed)))
    const events = read(texts)
    expect(events[events.length - 1]!.data).toEqual(read(signed)[events.length - 1]!.data)
    const report = await expectSameReport(events)
    expect(report.problems.map((p) => [p.kind, p.globalPosition])).toEqual([["edited", 200]])
    // The chain verifier (GET /events/verify) takes stored bytes that hash to their claim as they are.
    expect(verifyChain(events)).toMatchObject({ ok: true })
  })

  it("counts unsigned commits as auditLog does", async () => {
    const events = read(storedLog(commits.slice(0, 5)).map((c) => c.json))
    expect(await expectSameReport(events)).toMatchObject({ ok: true, commits: 5, signaturesVerified: 0, unsignedCommits: 5 })
  })
})
