import { cpus } from "node:os"
import { Worker } from "node:worker_threads"
import type { Address } from "../../domain/primitives"
import { recoveredSigners, recoverSigner, type Hex } from "./signature"

/**
 * Signature recovery off the event loop: ~2.5 ms of pure-JS elliptic-curve
 * work per command is the API's bottleneck, so it runs in worker threads
 * (cores − 1, at least 1) while the main thread serves requests. Same
 * answers as `recoverSigner` (a test compares them). `SIGNATURE_WORKERS=0`
 * recovers in-process instead.
 */
let workers: Array<Worker> | undefined
let next = 0
let seq = 0
const pending = new Map<number, (address: Address | undefined) => void>()

const pool = (): Array<Worker> => {
  if (workers) return workers
  const size = Number(process.env.SIGNATURE_WORKERS ?? Math.max(1, cpus().length - 1))
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
  const threads = pool()
  if (threads.length === 0) return recoverSigner(digest, signature)
  const address = await new Promise<Address | undefined>((resolve) => {
    const id = ++seq
    pending.set(id, resolve)
    threads[next++ % threads.length]!.postMessage({ id, digest, signature })
  })
  recoveredSigners.set(digest, signature, address)
  return address
}

/** Stop the workers (tests and shutdown; they are unref'd, so exiting does not need it). */
export const stopRecoverPool = async () => {
  const current = workers
  workers = undefined
  await Promise.all((current ?? []).map((w) => w.terminate()))
}
