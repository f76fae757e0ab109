import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
import type { DomainEvent } from "../../domain/events"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { verifyChain } from "../../infra/eventStore/hashChain"
import { confirmStoredHashes, hashCheckThreads, MIN_JOB_EVENTS, stopHashCheckPool } from "../../infra/eventStore/hashCheckPool"
import { parallelChainVerifier } from "../../infra/eventStore/parallelVerifier"
import { storedHashInput } from "../../infra/eventStore/storedText"
import { dataset, escrow, model, read, storedLog } from "../support/storedCommits"

/**
 * Verifying the log with the hashing on a worker thread (parallelVerifier.ts,
 * what GET /events/verify runs on adapters without stored bytes) gives exactly `verifyChain`'s answers: the
 * same count, tip and first break, whichever check finds it (order and links
 * here, hashes there) and whichever batch it is in. The worker threads are
 * real; batches of at least MIN_JOB_EVENTS events go to them.
 */
afterAll(() => stopHashCheckPool())

// 60 commits of one event and 30 of four (decoys in values): 180 events, several jobs of each kind.
const commits: Array<ReadonlyArray<DomainEvent>> = []
for (let i = 0; i < 90; i++) commits.push(i % 3 === 2 ? [dataset(4 * i), model(4 * i + 1), escrow(4 * i + 2), dataset(4 * i + 3)] : [escrow(4 * i)])
const texts = storedLog(commits).map((c) => c.json)

/** The events pushed in batches of `size` through one parallel verifier. */
const inBatches = async (events: ReadonlyArray<RecordedEvent>, size: number) => {
  const verifier = parallelChainVerifier()
  for (let i = 0; i < events.length; i += size) await verifier.push(events.slice(i, i + size))
  return verifier.result()
}
const expectSameAnswers = async (events: ReadonlyArray<RecordedEvent>) => {
  const expected = verifyChain(events)
  expect(await inBatches(events, 1024)).toEqual(expected)
  expect(await inBatches(events, MIN_JOB_EVENTS + 6)).toEqual(expected)
  expect(await inBatches(events, 7)).toEqual(expected)
  return expected
}
/** The stored texts with `edit` applied to commit `i`'s. */
const edited = (i: number, edit: (text: string) => string) => texts.map((t, j) => (j === i ? edit(t) : t))

describe("verifying the log with the hashing on other threads", () => {
  it("verifies an intact log as verifyChain does: the count and the tip, from the stored bytes or, without them, by the definition", async () => {
    const events = read(texts)
    expect(events).toHaveLength(180)
    expect(storedHashInput(events[100]!)).toBeDefined()
    const answer = await expectSameAnswers(events)
    expect(answer).toMatchObject({ ok: true, verified: 180, tip: { globalPosition: 90, hash: events[179]!.hash } })
    expect(hashCheckThreads()).toBeGreaterThan(0)
    // A thread confirms every intact event from its stored bytes (none is left to the definition here).
    expect([...(await confirmStoredHashes(events))].every((ok) => ok === 1)).toBe(true)
    await expectSameAnswers(events.map((e) => ({ ...e })))
  })

  it("finds an edited event where verifyChain finds it, in a commit of one event or of four", async () => {
    for (const [commit, edit] of [
      [40, (t: string) => t.replace('"amount":"1160"', '"amount":"9160"')],
      [71, (t: string) => t.replace('"amount":"1286"', '"amount":"9286"')]
    ] as const) {
      const events = read(edited(commit, edit))
      const answer = await expectSameAnswers(events)
      expect(answer).toMatchObject({ ok: false, break: { globalPosition: commit + 1, reason: expect.stringContaining("hash mismatch") } })
      await expectSameAnswers(events.map((e) => ({ ...e })))
    }
  })

  it("reports the first problem when there are several: an edit before a broken link, in batches answered in any order", async () => {
    const events = read(edited(75, (t) => t.replace('"amount":"1300"', '"amount":"9300"')))
    // A dropped event later (a link breaks), and a second edit later still.
    const withGap = [...events.slice(0, 160), ...events.slice(161)]
    withGap[168] = { ...withGap[168]!, data: { ...(withGap[170]!.data as object), amount: 1n } as never }
    const answer = await expectSameAnswers(withGap)
    expect(answer).toMatchObject({ ok: false, break: { globalPosition: 76, reason: expect.stringContaining("hash mismatch") } })
    // Without the edit, the gap is the first problem; with nothing dropped, the edit at the end.
    expect(await expectSameAnswers([...read(texts).slice(0, 160), ...read(texts).slice(161)])).toMatchObject({ ok: false, verified: 160, break: { reason: expect.stringContaining("out of order") } })
    const lateEdit = read(texts)
    lateEdit[179] = { ...lateEdit[179]!, data: { ...(lateEdit[179]!.data as object), name: "changed" } as never }
    expect(await expectSameAnswers(lateEdit)).toMatchObject({ ok: false, verified: 179 })
  })

  it("leaves the last word to the definition: a text rewritten in another form with the same content still verifies", async () => {
    const events = read(edited(5, (t) => t.replace('"owner":', ' "owner" : ')))
    expect(await expectSameAnswers(events)).toMatchObject({ ok: true, verified: 180 })
  })

  it("gives the same answers when its threads are stopped while they hold batches: those events are checked here", async () => {
    const intact = read(texts)
    const editedLog = read(edited(60, (t) => t.replace('"amount":"1240"', '"amount":"9240"')))
    for (const [events, expected] of [
      [intact, verifyChain(intact)],
      [editedLog, verifyChain(editedLog)]
    ] as const) {
      const verifier = parallelChainVerifier()
      void verifier.push(events.slice(0, 100))
      void verifier.push(events.slice(100))
      await stopHashCheckPool()
      expect(hashCheckThreads()).toBe(0)
      expect(await verifier.result()).toEqual(expected)
    }
    // And the next verification starts a pool again.
    expect(await inBatches(intact, 1024)).toEqual(verifyChain(intact))
    expect(hashCheckThreads()).toBeGreaterThan(0)
  })

  it("keeps a script alive while its threads hold work: one that only awaits a verification gets its answer", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "tests/support/verifyInScript.ts"])
    expect(JSON.parse(stdout)).toEqual({ ok: true, verified: 100, recovers: true })
  })
})
