import { afterAll, describe, expect, it } from "vitest"
import type { DomainEvent } from "../../domain/events"
import { commitTextBytes } from "../../infra/eventStore/codec"
import { verifyChain } from "../../infra/eventStore/hashChain"
import { checkStoredBatchOnThread, hashCheckThreads, MIN_JOB_EVENTS, stopHashCheckPool } from "../../infra/eventStore/hashCheckPool"
import { toLogEntry } from "../../infra/eventStore/logConsumer"
import { checkStoredBatch, storedBatchJob, verdictStitcher, type StoredBatchJob, type StoredBatchVerdict } from "../../infra/eventStore/storedLogCheck"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { dataset, escrow, model, storedLog } from "../support/storedCommits"

/**
 * Verifying the log from its stored bytes a batch at a time (storedLogCheck.ts,
 * what GET /events/verify runs on JetStream: each batch decoded and verified
 * on a worker thread, the verdicts joined in order) gives the answers of
 * reading the log decoded (toLogEntry, as every reader does) and verifying
 * its events with `verifyChain`: the same count, tip and first break, and
 * the same foreign messages, wherever the batches are cut.
 */
afterAll(() => stopHashCheckPool())

// 60 commits of one event and 30 of four (decoys in values): 180 events.
const commits: Array<ReadonlyArray<DomainEvent>> = []
for (let i = 0; i < 90; i++) commits.push(i % 3 === 2 ? [dataset(4 * i), model(4 * i + 1), escrow(4 * i + 2), dataset(4 * i + 3)] : [escrow(4 * i)])
const texts = storedLog(commits).map((c) => c.json)

/** A stored message: its text and the position it lies at. */
interface Stored {
  readonly text: string
  readonly position: number
}
const intact: ReadonlyArray<Stored> = texts.map((text, i) => ({ text, position: i + 1 }))
const subjectOf = (s: Stored) => `events.dataset.D${s.position}`

/** What a reader of the decoded log answers: verifyChain over the sealed events, and the foreign messages. */
const expected = (log: ReadonlyArray<Stored>) => {
  const events: Array<RecordedEvent> = []
  const foreign: Array<{ position: number; reason: string }> = []
  for (const s of log) {
    const entry = toLogEntry("events", subjectOf(s), commitTextBytes(s.text), s.position, true)
    if (entry._tag === "Commit") events.push(...entry.events)
    else foreign.push({ position: s.position, reason: entry.reason })
  }
  return { verification: verifyChain(events), foreign }
}

const jobOf = (log: ReadonlyArray<Stored>): StoredBatchJob => storedBatchJob(log.map((s) => ({ data: commitTextBytes(s.text), seq: s.position })))

/** The log cut into batches of `size` messages, each checked by `check`, the verdicts joined in order. */
const inBatches = async (log: ReadonlyArray<Stored>, size: number, check: (job: StoredBatchJob) => StoredBatchVerdict | Promise<StoredBatchVerdict>) => {
  const stitcher = verdictStitcher()
  const foreign: Array<{ position: number; reason: string }> = []
  const verdicts: Array<Promise<{ batch: ReadonlyArray<Stored>; verdict: StoredBatchVerdict }>> = []
  for (let i = 0; i < log.length; i += size) {
    const batch = log.slice(i, i + size)
    verdicts.push(Promise.resolve(check(jobOf(batch))).then((verdict) => ({ batch, verdict })))
  }
  for (const { batch, verdict } of await Promise.all(verdicts)) {
    for (const f of verdict.foreign) foreign.push({ position: batch[f.index]!.position, reason: f.reason })
    stitcher.add(verdict)
  }
  return { verification: stitcher.result(), foreign }
}

const expectSameAnswers = async (log: ReadonlyArray<Stored>) => {
  const answer = expected(log)
  for (const size of [1, 7, 40, 1024]) expect(await inBatches(log, size, checkStoredBatch)).toEqual(answer)
  // On the pool's threads: batches of at least MIN_JOB_EVENTS messages go there.
  expect(await inBatches(log, MIN_JOB_EVENTS + 3, checkStoredBatchOnThread)).toEqual(answer)
  return answer
}
const editedAt = (i: number, edit: (text: string) => string) => intact.map((s, j) => (j === i ? { ...s, text: edit(s.text) } : s))

describe("verifying the log from its stored bytes, a batch at a time", () => {
  it("verifies an intact log as verifyChain does, on threads too", async () => {
    const answer = await expectSameAnswers(intact)
    expect(answer).toMatchObject({ verification: { ok: true, verified: 180, tip: { globalPosition: 90 } }, foreign: [] })
    expect(hashCheckThreads()).toBeGreaterThan(0)
  })

  it("finds an edited event where verifyChain finds it, in a commit of one event or of four, first in its batch or not", async () => {
    for (const [commit, edit] of [
      [40, (t: string) => t.replace('"amount":"1160"', '"amount":"9160"')],
      [71, (t: string) => t.replace('"amount":"1286"', '"amount":"9286"')],
      [0, (t: string) => t.replace('"amount":"1000"', '"amount":"9000"')]
    ] as const) {
      const answer = await expectSameAnswers(editedAt(commit, edit))
      expect(answer.verification).toMatchObject({ ok: false, break: { globalPosition: commit + 1, reason: expect.stringContaining("hash mismatch") } })
    }
  })

  it("finds a missing commit (a broken link) at a batch's first event and inside a batch, and reports the first of several problems", async () => {
    const dropped = intact.filter((_, i) => i !== 49)
    const answer = await expectSameAnswers(dropped)
    expect(answer.verification).toMatchObject({ ok: false, break: { globalPosition: 51, reason: expect.stringContaining("does not link") } })
    // An edit before the gap is the first problem.
    const both = editedAt(19, (t) => t.replace('"amount":"1076"', '"amount":"9076"')).filter((_, i) => i !== 49)
    expect((await expectSameAnswers(both)).verification).toMatchObject({ ok: false, break: { globalPosition: 20, reason: expect.stringContaining("hash mismatch") } })
    // Two commits swapped: out of order.
    const swapped = [...intact]
    ;[swapped[60], swapped[61]] = [swapped[61]!, swapped[60]!]
    expect((await expectSameAnswers(swapped)).verification).toMatchObject({ ok: false, break: { reason: expect.stringMatching(/out of order|does not link/) } })
    // The same commit twice at one position (no adapter stores that; a batch can hold it): out of order, whether a batch ends between them or not.
    const twice = [...intact.slice(0, 50), intact[49]!, ...intact.slice(50)]
    expect((await expectSameAnswers(twice)).verification).toMatchObject({ ok: false, verified: 98, break: { globalPosition: 50, reason: expect.stringContaining("out of order") } })
  })

  it("lists foreign messages with the readers' reasons, and links the chain over the positions they hold", async () => {
    // Foreign messages at 11, 32 (both between commits) and 85 (among the last), the commits sealed around them.
    const foreignTexts = new Map([
      [11, "definitely not an envelope"],
      [32, '{"events":[]}'],
      // A real commit stored again elsewhere: its envelope claims its own position.
      [85, texts[5]!]
    ])
    const sealed = storedLog(commits, undefined, new Set(foreignTexts.keys()))
    const log: Array<Stored> = [...sealed.map((c) => ({ text: c.json, position: c.position })), ...[...foreignTexts].map(([position, text]) => ({ text, position }))]
    log.sort((a, b) => a.position - b.position)
    expect(log.map((s) => s.position)).toEqual(Array.from({ length: 93 }, (_, i) => i + 1))
    const answer = await expectSameAnswers(log)
    expect(answer.foreign.map((f) => f.position)).toEqual([11, 32, 85])
    expect(answer.foreign[0]!.reason).toContain("not JSON")
    expect(answer.foreign[2]!.reason).toContain("envelope claims position 6")
    expect(answer.verification).toMatchObject({ ok: true, verified: 180, tip: { globalPosition: 93 } })
    // A batch of foreign messages alone leaves the chain where it was.
    expect(checkStoredBatch(jobOf([{ text: "junk", position: 7 }]))).toMatchObject({ events: 0, verified: 0, foreign: [{ index: 0 }] })
  })

  it("leaves the last word to the definition: a text rewritten in another form with the same content still verifies", async () => {
    const answer = await expectSameAnswers(editedAt(5, (t) => t.replace('"owner":', ' "owner" : ')))
    expect(answer.verification).toMatchObject({ ok: true, verified: 180 })
  })

  it("gives the same answers when its threads stop while they hold batches: those batches are checked here", async () => {
    for (const log of [intact, editedAt(60, (t) => t.replace('"amount":"1240"', '"amount":"9240"'))]) {
      const answer = expected(log)
      const verdicts = [log.slice(0, 45), log.slice(45)].map((batch) => checkStoredBatchOnThread(jobOf(batch)))
      await stopHashCheckPool()
      expect(hashCheckThreads()).toBe(0)
      const stitcher = verdictStitcher()
      for (const v of await Promise.all(verdicts)) stitcher.add(v)
      expect(stitcher.result()).toEqual(answer.verification)
    }
    // And the next verification starts a pool again.
    expect(await inBatches(intact, 100, checkStoredBatchOnThread)).toEqual(expected(intact))
    expect(hashCheckThreads()).toBeGreaterThan(0)
  })
})
