import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream"
import type { AppendInput } from "../domain/ports"
import type { RecordedEvent } from "../domain/recordedEvent"
import { commitText, decodeCommit, parseCommitText, prepareAppend, type PreparedAppend } from "../infra/eventStore/codec"
import { chainVerifier, EMPTY_TIP } from "../infra/eventStore/hashChain"
import { ChainSealer } from "../infra/eventStore/jetStreamSealer"
import { rememberStoredCommit } from "../infra/eventStore/storedText"
import { checkStoredBatch, storedBatchJob, verdictStitcher, type StoredBatchJob } from "../infra/eventStore/storedLogCheck"
import { ReadModels } from "../projections/projector"
import { median, round } from "./stats"

/**
 * Where the time of a replay and of an append goes, measured in the same run
 * as the rows they explain: each stage of our code timed alone, over the same
 * inputs, in microseconds per event. A row's ratio to its raw baseline can be
 * no better than raw / (raw + the stages it adds), whatever the plumbing
 * around them costs; that bound is printed beside (`bestRatio`).
 */

/** Microseconds per item of `f` over `items` items: the median of five passes (one untimed pass first, for the JIT). */
const microsPerItem = (items: number, f: () => void, before: () => void = () => undefined): number => {
  const passes: Array<number> = []
  for (let pass = 0; pass <= 5; pass++) {
    before()
    const t = performance.now()
    f()
    if (pass > 0) passes.push(((performance.now() - t) * 1000) / items)
  }
  return median(passes)
}

export interface StoredMessage {
  readonly data: Uint8Array
  readonly seq: number
}

/** Every message of a stream as stored (bytes and sequence), through one ordered read: the stages' input. */
export const storedMessages = async (js: JetStreamClient, streamName: string): Promise<Array<StoredMessage>> => {
  const consumer = await js.consumers.get(streamName, { deliver_policy: DeliverPolicy.All })
  const messages = await consumer.consume({ max_messages: 1024 })
  const kept: Array<StoredMessage> = []
  for await (const m of messages) {
    kept.push({ data: m.data, seq: m.seq })
    if (m.info.pending === 0) break
  }
  return kept
}

/** The stored messages with their commits decoded: what the stages past decoding start from. */
export interface DecodedLog {
  readonly messages: ReadonlyArray<StoredMessage>
  readonly commits: ReadonlyArray<ReadonlyArray<RecordedEvent>>
  readonly events: number
}

/**
 * A replay's stages per event, each over every stored message: the bytes as
 * text, JSON.parse, the Schema decode of the commit with its position checks.
 * Beside them, keeping the stored bytes beside the events (what the log as
 * stored adds for a verifier) and the decoded log, for the stages a row adds
 * (`verifyStage`, `projectStage`).
 */
export const replayStages = (messages: ReadonlyArray<StoredMessage>) => {
  const texts = messages.map((m) => commitText(m.data))
  const parsed = texts.map((text, i) => parseCommitText(text, messages[i]!.seq))
  const commits = parsed.map((raw, i) => decodeCommit(raw, messages[i]!.seq))
  const log: DecodedLog = { messages, commits, events: commits.reduce((n, c) => n + c.length, 0) }
  const stages = {
    text: microsPerItem(log.events, () => messages.forEach((m) => commitText(m.data))),
    jsonParse: microsPerItem(log.events, () => texts.forEach((text, i) => parseCommitText(text, messages[i]!.seq))),
    schemaDecode: microsPerItem(log.events, () => parsed.forEach((raw, i) => decodeCommit(raw, messages[i]!.seq)))
  }
  // Only the log as stored keeps them (readLog, for verifiers): a stage of the verified replay, not of the replay.
  const keepStoredBytes = round(microsPerItem(log.events, () => rememberStoredBytes(log)), 2)
  return { log, stages: roundAll(stages), keepStoredBytes }
}

const rememberStoredBytes = (log: DecodedLog) => log.commits.forEach((c, i) => rememberStoredCommit(c, log.messages[i]!.data))

/** The verifier per event: each event's stored bytes hashed, its link to the one before checked. */
export const verifyStage = (log: DecodedLog): number =>
  round(
    microsPerItem(
      log.events,
      () => {
        const verifier = chainVerifier()
        for (const commit of log.commits) for (const e of commit) if (verifier.push(e)) throw new Error("the bench's log does not verify")
      },
      // The verifier finds each event's hashed bytes on first use and keeps them: remembered
      // afresh (untimed) before each pass, so every pass scans the bytes as a replay does.
      () => rememberStoredBytes(log)
    ),
    2
  )

/**
 * What a verification's worker thread does per event (storedLogCheck.ts
 * `checkStoredBatch`, here in-process): each message decoded, its events'
 * hashed bytes cut from it, hashed and linked, over the log in the batches
 * of 1,024 messages the reader hands out.
 */
export const storedBatchStage = (log: DecodedLog): number => {
  const jobs: Array<StoredBatchJob> = []
  for (let first = 0; first < log.messages.length; first += 1024) jobs.push(storedBatchJob(log.messages.slice(first, first + 1024)))
  return round(
    microsPerItem(log.events, () => {
      const stitcher = verdictStitcher()
      for (const job of jobs) stitcher.add(checkStoredBatch(job))
      if (!stitcher.result().ok) throw new Error("the bench's log does not verify")
    }),
    2
  )
}

/** The projections per event: every read model built from the decoded events, as a rebuild does (a fresh set each pass). */
export const projectStage = (log: DecodedLog): number =>
  round(
    microsPerItem(log.events, () => {
      const models = new ReadModels()
      for (const commit of log.commits) for (const e of commit) models.push(e)
    }),
    2
  )

/**
 * An append's stages per append, as the JetStream writer runs them: the
 * Schema encode, canonical JSON and size check (`prepareAppend`), then the
 * seal on the writer's view of the chain (ids, hash, stored text and its
 * bytes, the decoded view, the stream's head; `ChainSealer`).
 */
export const appendStages = async (count: number, input: (i: number) => AppendInput) => {
  const inputs = Array.from({ length: count }, (_, i) => input(i))
  let prepared: Array<PreparedAppend> = []
  const prepare = microsPerItem(count, () => void (prepared = inputs.map(prepareAppend)))
  const newStream = { revision: undefined, subjectSeq: 0 }
  const headOfEmptyLog = { ...EMPTY_TIP, msgId: undefined, optimistic: false }
  const seals: Array<number> = []
  for (let pass = 0; pass <= 5; pass++) {
    const sealer = new ChainSealer(10_000, { loadHead: async () => headOfEmptyLog, loadStreamHead: async () => newStream }, () => new Date())
    // The first seal reads the head (a promise); every later one is synchronous, as in a running writer.
    await sealer.seal(prepared[0]!, newStream, "warm")
    sealer.unlock()
    const t = performance.now()
    for (let i = 1; i < count; i++) sealer.seal(prepared[i]!, newStream, inputs[i]!.commandId)
    if (pass > 0) seals.push(((performance.now() - t) * 1000) / (count - 1))
  }
  return { prepareAppend: round(prepare, 2), seal: round(median(seals), 2) }
}

/** This process's CPU (user + system, every thread) per item while `run` runs, in microseconds, beside what `run` returns. */
export const withCpu = async <A>(items: number, run: () => Promise<A>): Promise<{ readonly result: A; readonly cpuMicros: number }> => {
  const start = process.cpuUsage()
  const result = await run()
  const used = process.cpuUsage(start)
  return { result, cpuMicros: (used.user + used.system) / items }
}

const roundAll = <K extends string>(xs: Record<K, number>): Record<K, number> =>
  Object.fromEntries(Object.entries(xs).map(([k, v]) => [k, round(v as number, 2)])) as Record<K, number>
