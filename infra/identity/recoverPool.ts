import { Worker } from "node:worker_threads"
import { busyThreads, threadCount, threadCountSetting } from "../workerPools"
import type { Address } from "../../domain/primitives"
import { recoveredSigners, recoverSignerUncached, type Hex } from "./signature"
import { nativeSecp256k1 } from "./nativeSecp256k1"

/**
 * Signature recovery off the event loop, in worker threads (cores − 1, at
 * least one, by default), while the main thread serves requests. Every command costs one
 * recovery: ~2.5 ms of pure-JS (noble) elliptic-curve work, or ~45 µs with
 * the native libsecp256k1 binding (nativeSecp256k1.ts), more with the key
 * decompression a RegisterNode adds. Natively a thread hop is less than the
 * work it moves: with one worker the API's signed commands ran ~10 % faster
 * on this 2-core machine (median of seven alternating runs, Node 24), the
 * second core taking the recoveries. The recoveries asked for in one turn of
 * the event loop travel as one message (`flush`): with 16 commands in flight
 * a batch held ~8, and RegisterNode ran ~8 % faster again.
 * A worker recovers with the native binding where it loads, else with noble
 * (`engine`); both give the same answers as `recoverSigner` (a test compares
 * them, invalid and high-s signatures included).
 * `SIGNATURE_WORKERS=0` recovers in-process (natively, that is the better
 * choice on a one-core machine: there is no core to move the work to).
 * A worker that dies takes its pool with it (the next recovery starts a new
 * one) and its unanswered recoveries are done in-process: a command never
 * waits on a thread that is gone.
 */
export type RecoveryEngine = "native" | "noble"
const engineHere: RecoveryEngine = nativeSecp256k1 ? "native" : "noble"

interface Pool {
  readonly workers: Array<Worker>
  next: number
  /** Recoveries asked for in this turn of the event loop, posted together at its end (`flush`). */
  batch: Array<{ readonly id: number; readonly digest: Hex; readonly signature: string }>
}
const pools = new Map<RecoveryEngine, Pool>()
let seq = 0
interface Recovery {
  readonly digest: Hex
  readonly signature: string
  readonly worker: Worker
  readonly resolve: (address: Address | undefined) => void
}
const pending = new Map<number, Recovery>()

export const signatureWorkersSetting = threadCountSetting("SIGNATURE_WORKERS", "worker threads recovering signatures (0: in-process)")
const workerCount = threadCount(signatureWorkersSetting, "SIGNATURE_WORKERS")
const busy = busyThreads()

const poolFor = (engine: RecoveryEngine): Pool => {
  const existing = pools.get(engine)
  if (existing) return existing
  const workers = Array.from({ length: workerCount() }, () => {
    const w = new Worker(new URL("./recoverWorker.mjs", import.meta.url), { workerData: { engine } })
    w.on("message", (answers: ReadonlyArray<{ id: number; address: string | null }>) => {
      for (const { id, address } of answers) {
        pending.get(id)?.resolve(address === null ? undefined : (address as Address))
        pending.delete(id)
      }
      busy.release(w, answers.length)
    })
    const gone = () => {
      const pool = pools.get(engine)
      if (pool?.workers.includes(w)) {
        // The pool goes whole: its other threads are stopped (their own exits answer what they held), not left idle for good.
        pools.delete(engine)
        for (const other of pool.workers) if (other !== w) void other.terminate()
      }
      for (const [id, r] of pending) {
        if (r.worker !== w) continue
        pending.delete(id)
        r.resolve(recoverSignerUncached(r.digest, r.signature))
      }
      busy.forget(w)
    }
    w.on("error", gone)
    w.on("exit", gone)
    // Idle workers must not keep the process alive (a busy one does: busyThreads).
    w.unref()
    return w
  })
  const pool: Pool = { workers, next: 0, batch: [] }
  pools.set(engine, pool)
  return pool
}

/** The API's recovery: the cache, else a worker thread, else in-process. */
export const recoverSignerAsync = async (digest: Hex, signature: string): Promise<Address | undefined> => {
  if (recoveredSigners.has(digest, signature)) return recoveredSigners.get(digest, signature)
  const address = await recoverInPool(digest, signature)
  recoveredSigners.set(digest, signature, address)
  return address
}

/** One recovery in a worker thread with `engine`, uncached (in-process when the pool has no threads). */
export const recoverInPool = async (digest: Hex, signature: string, engine: RecoveryEngine = engineHere): Promise<Address | undefined> => {
  const pool = poolFor(engine)
  if (pool.workers.length === 0) return recoverSignerUncached(digest, signature)
  return new Promise<Address | undefined>((resolve) => {
    const id = ++seq
    // The batch goes to one worker: the one it will be posted to.
    const worker = pool.workers[pool.next % pool.workers.length]!
    pending.set(id, { digest, signature, worker, resolve })
    pool.batch.push({ id, digest, signature })
    if (pool.batch.length === 1) setImmediate(flush, pool, worker)
  })
}

/**
 * Post the turn's recoveries as one message. Waking an idle worker costs the
 * posting thread ~30 µs (measured on Node 24: a message to a sleeping thread,
 * against ~5 µs to a busy one), as much as the native recovery it moves; the
 * requests that arrive in one turn of the event loop now share one wake-up.
 */
const flush = (pool: Pool, worker: Worker) => {
  const batch = pool.batch
  pool.batch = []
  pool.next++
  busy.hold(worker, batch.length)
  worker.postMessage(batch)
}

/** Stop the workers (tests and shutdown; they are unref'd, so exiting does not need it). */
export const stopRecoverPool = async () => {
  const current = [...pools.values()]
  pools.clear()
  await Promise.all(current.flatMap((p) => p.workers.map((w) => w.terminate())))
}
