import { cpus } from "node:os"
import type { Worker } from "node:worker_threads"
import { integer, orExit, readConfig, type Setting } from "./config"

/**
 * What the process's worker-thread pools (signature recovery:
 * identity/recoverPool.ts; stored-hash checks: eventStore/hashCheckPool.ts)
 * share: how many threads a pool has, and when a thread keeps the process alive.
 */

/** A pool's thread count setting: cores − 1 (at least one) by default, 0 for in-process work. */
export const threadCountSetting = <K extends string>(name: K, doc: string): Record<K, Setting<number>> =>
  ({ [name]: integer(doc, Math.max(1, cpus().length - 1), 0, 64) }) as Record<K, Setting<number>>

/**
 * The setting's value, read once, when the pool first needs it (a malformed
 * value stops the process, naming it; the API also checks it at its start:
 * commands/settings.ts).
 */
export const threadCount = <K extends string>(setting: Record<K, Setting<number>>, name: K): (() => number) => {
  let value: number | undefined
  return () => (value ??= orExit(() => readConfig(setting))[name] as number)
}

/**
 * Which of a pool's threads hold work. A thread holding work keeps the
 * process alive (a script that only awaits its answer must not exit first);
 * an idle one does not (a pool must never keep a process from ending).
 */
export const busyThreads = () => {
  const held = new Map<Worker, number>()
  return {
    /** `count` pieces of work given to `worker`. */
    hold(worker: Worker, count = 1): void {
      held.set(worker, (held.get(worker) ?? 0) + count)
      worker.ref()
    },
    /** `count` of them answered: the worker is let go once it holds none. */
    release(worker: Worker, count = 1): void {
      const left = (held.get(worker) ?? 0) - count
      if (left > 0) return void held.set(worker, left)
      held.delete(worker)
      worker.unref()
    },
    /** A worker that is gone: what it held is answered elsewhere (its pool's exit handler). */
    forget(worker: Worker): void {
      held.delete(worker)
    }
  }
}
