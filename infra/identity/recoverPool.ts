import { cpus } from "node:os"
import { integer, orExit, readConfig } from "../config"
import { Worker } from "node:worker_threads"
import type { Address } from "../../domain/primitives"
import { recoveredSigners, recoverSigner, type Hex } from "./signature"
import { nativeSecp256k1 } from "./nativeRecover"

/**
 * Signature recovery off the event loop, for where the native libsecp256k1
 * binding cannot load: ~2.5 ms of pure-JS (noble) elliptic-curve work per
 * command would be the API's bottleneck, so it runs in worker threads
 * (cores − 1, at least 1) while the main thread serves requests. With the
 * native binding (~45 µs) a thread hop costs more than the work: recovery
 * stays in-process. Same answers as `recoverSigner` (a test compares them).
 * `SIGNATURE_WORKERS=0` recovers in-process in any case.
 */
let workers: Array<Worker> | undefined
let next = 0
let seq = 0
const pending = new Map<number, (address: Address | undefined) => void>()

const pool = (): Array<Worker> => {
  if (workers) return workers
  const size = orExit(() => readConfig({ SIGNATURE_WORKERS: integer("worker threads recovering signatures when the native module is off", Math.max(1, cpus().length - 1), 1, 64) })).SIGNATURE_WORKERS
  workers = Array.from({ length: size }, () => {
    const w = new Worker(new URL("./recoverWorker.mjs", import.meta.url))
    w.on("message", ({ id, address }: { id: number; address: string | null }) => {
      pending.get(id)?.(address === null ? undefined : (address as Address))
      pending.delete(id)
    })
    // Idle workers must not keep the process alive.
    w.unref()
    return w
  })
  return workers
}

export const recoverSignerAsync = async (digest: Hex, signature: string): Promise<Address | undefined> => {
  if (recoveredSigners.has(digest, signature)) return recoveredSigners.get(digest, signature)
  if (nativeSecp256k1) return recoverSigner(digest, signature)
  const address = await recoverInPool(digest, signature)
  recoveredSigners.set(digest, signature, address)
  return address
}

/** One recovery in a worker thread (noble), uncached: what the API does without the native binding. */
export const recoverInPool = async (digest: Hex, signature: string): Promise<Address | undefined> => {
  const threads = pool()
  if (threads.length === 0) return recoverSigner(digest, signature)
  return new Promise<Address | undefined>((resolve) => {
    const id = ++seq
    pending.set(id, resolve)
    threads[next++ % threads.length]!.postMessage({ id, digest, signature })
  })
}

/** Stop the workers (tests and shutdown; they are unref'd, so exiting does not need it). */
export const stopRecoverPool = async () => {
  const current = workers
  workers = undefined
  await Promise.all((current ?? []).map((w) => w.terminate()))
}
