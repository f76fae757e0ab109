import { Worker } from "node:worker_threads"
import { busyThreads, threadCount, threadCountSetting } from "../workerPools"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { checkStoredHashes, packHashCheck, type HashCheckJob } from "./hashCheckJob"
import { checkStoredBatch, type StoredBatchJob, type StoredBatchVerdict } from "./storedLogCheck"

/**
 * Stored-hash checks on other cores. A verifier of the log (GET
 * /events/verify, a verified replay) hashes every event's stored bytes:
 * ~4.5 µs an event on this machine's event loop, a third of a verified
 * replay's time and the whole API stalled while a long log verified. Here
 * the hashing runs in worker threads (cores − 1, at least one, by default;
 * `HASH_CHECK_WORKERS=0` checks in-process), a job of up to a batch of
 * events at a time, while the caller goes on reading and decoding. Only
 * batches worth the hop go there (`MIN_JOB_EVENTS`); smaller ones are
 * checked in-process with the same function (hashCheckJob.ts). A job whose
 * thread dies is answered "not checked" (its bytes went with it), and the
 * verifier checks those events by the definition: a check never waits on a
 * thread that is gone, and never passes for it.
 */
export const MIN_JOB_EVENTS = 64

interface Pool {
  readonly workers: Array<Worker>
  next: number
}
interface Pending {
  readonly worker: Worker
  readonly answer: (value: unknown) => void
  /** The thread died holding the job: answer it another way. */
  readonly lost: () => void
}
let pool: Pool | undefined
let seq = 0
const pending = new Map<number, Pending>()

export const hashCheckWorkersSetting = threadCountSetting("HASH_CHECK_WORKERS", "worker threads decoding and verifying the log's stored messages when it is verified, and checking its hashes when it is audited (0: in-process)")
const workerCount = threadCount(hashCheckWorkersSetting, "HASH_CHECK_WORKERS")
const busy = busyThreads()

const startPool = (): Pool => {
  const workers = Array.from({ length: workerCount() }, () => {
    const w = new Worker(new URL("./hashCheckThread.mjs", import.meta.url))
    w.on("message", (message: { readonly id?: number; readonly answer?: unknown }) => {
      if (message.id === undefined || !("answer" in message)) return
      pending.get(message.id)?.answer(message.answer)
      pending.delete(message.id)
      busy.release(w)
    })
    const gone = () => {
      if (pool?.workers.includes(w)) {
        // The pool goes whole (the next job starts a new one); what this thread held is checked here.
        for (const other of pool.workers) if (other !== w) void other.terminate()
        pool = undefined
      }
      for (const [id, p] of pending) {
        if (p.worker !== w) continue
        pending.delete(id)
        p.lost()
      }
      busy.forget(w)
    }
    w.on("error", gone)
    w.on("exit", gone)
    // Idle threads must not keep the process alive (a busy one does: busyThreads).
    w.unref()
    return w
  })
  return { workers, next: 0 }
}

/** `job` on one of the pool's threads (hashCheckThread.ts answers each kind); `lost`'s answer when the thread dies holding it. */
const onThread = <T>(job: Record<string, unknown>, transfer: ReadonlyArray<ArrayBuffer>, lost: () => T | Promise<T>): Promise<T> => {
  pool ??= startPool()
  const worker = pool.workers[pool.next++ % pool.workers.length]!
  return new Promise<T>((resolve, reject) => {
    const id = ++seq
    pending.set(id, { worker, answer: resolve as (value: unknown) => void, lost: () => void Promise.resolve().then(lost).then(resolve, reject) })
    busy.hold(worker)
    worker.postMessage({ ...job, id }, [...transfer])
  })
}

/**
 * Each event's flag (1: its stored bytes hash to its claimed hash; with
 * `definition`, its hash by the definition is its claimed hash:
 * definitionCheck.ts), from a worker thread when the job is worth one.
 */
const checkStoredHashesAsync = async (job: HashCheckJob, options: { readonly definition?: boolean }): Promise<Uint8Array> => {
  const definition = options.definition === true
  if (job.hashes.length < MIN_JOB_EVENTS || workerCount() === 0) {
    return definition ? (await import("./definitionCheck")).checkByDefinition(job) : checkStoredHashes(job)
  }
  // The job's bytes are its own copy (packHashCheck): moved, not copied again. Lost with a
  // dead thread, so all zeros then: the caller checks these events by the definition.
  return onThread({ kind: "hashes", job, definition }, [job.bytes.buffer as ArrayBuffer], () => new Uint8Array(job.hashes.length))
}

/**
 * A batch of stored messages decoded and verified (storedLogCheck.ts), on a
 * worker thread when it is worth one. Its bytes are copied there, not
 * moved: a thread that dies holding it leaves them here to check in-process.
 */
export const checkStoredBatchOnThread = (job: StoredBatchJob): Promise<StoredBatchVerdict> =>
  job.positions.length < MIN_JOB_EVENTS || workerCount() === 0
    ? Promise.resolve().then(() => checkStoredBatch(job))
    : onThread({ kind: "storedBatch", job }, [], () => checkStoredBatch(job))

/**
 * For each of `events`, 1 when its hash was confirmed from its stored bytes
 * (with `definition`, by the definition: definitionCheck.ts), else 0: an
 * event without stored bytes, or not confirmed, is the caller's to check by
 * the definition. What every verifier of the log asks of the pool.
 */
export const confirmStoredHashes = async (events: ReadonlyArray<RecordedEvent>, options: { readonly definition?: boolean } = {}): Promise<Uint8Array> => {
  const { job, sent } = packHashCheck(events)
  const ok = await checkStoredHashesAsync(job, options)
  const confirmed = new Uint8Array(events.length)
  for (let i = 0; i < events.length; i++) if (sent[i]! >= 0 && ok[sent[i]!] === 1) confirmed[i] = 1
  return confirmed
}

/** Threads the pool holds now (0 before its first job worth one, and after it was stopped). */
export const hashCheckThreads = (): number => pool?.workers.length ?? 0

/** Stop the threads (tests and shutdown; they are unref'd, so exiting does not need it). */
export const stopHashCheckPool = async () => {
  const current = pool
  pool = undefined
  await Promise.all(current?.workers.map((w) => w.terminate()) ?? [])
}
