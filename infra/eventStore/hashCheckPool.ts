import { Worker } from "node:worker_threads"
import { busyThreads, threadCount, threadCountSetting } from "../workerPools"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { checkStoredHashes, packHashCheck, type HashCheckJob } from "./hashCheckJob"

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
  readonly job: HashCheckJob
  readonly worker: Worker
  readonly resolve: (ok: Uint8Array) => void
}
let pool: Pool | undefined
let seq = 0
const pending = new Map<number, Pending>()

export const hashCheckWorkersSetting = threadCountSetting("HASH_CHECK_WORKERS", "worker threads checking stored hashes when the log is verified or audited (0: in-process)")
const workerCount = threadCount(hashCheckWorkersSetting, "HASH_CHECK_WORKERS")
const busy = busyThreads()

const startPool = (): Pool => {
  const workers = Array.from({ length: workerCount() }, () => {
    const w = new Worker(new URL("./hashCheckThread.mjs", import.meta.url))
    w.on("message", (answer: { readonly id?: number; readonly ok?: Uint8Array }) => {
      if (answer.id === undefined || !answer.ok) return
      pending.get(answer.id)?.resolve(answer.ok)
      pending.delete(answer.id)
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
        // Its bytes went with it (transferred): all zeros, so the caller checks these events by the definition.
        p.resolve(new Uint8Array(p.job.hashes.length))
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
  pool ??= startPool()
  const worker = pool.workers[pool.next++ % pool.workers.length]!
  return new Promise((resolve) => {
    const id = ++seq
    pending.set(id, { job, worker, resolve })
    busy.hold(worker)
    // The job's bytes are its own copy (packHashCheck): moved, not copied again.
    worker.postMessage({ id, job, definition }, [job.bytes.buffer as ArrayBuffer])
  })
}

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
