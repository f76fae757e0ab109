import { cpus } from "node:os"
import { Worker } from "node:worker_threads"
import { integer, orExit, readConfig } from "../../infra/config"
import type { Trained, TrainingJob, TrainingReport } from "./localTraining"
import type { FromThread, ToThread } from "./trainingThread"

/**
 * Training off the event loop. A trainer's steps are CPU-bound TF.js work:
 * on the event loop they hold back the node's heartbeats and NATS traffic,
 * and every other node sharing the process (a local network runs them all
 * in one), while the machine's other cores sit idle. These threads train
 * whole jobs (fetched and hash-checked on the event loop), one job per
 * thread at a time, first come first served, and hand back the states.
 */
export interface TrainingThreads {
  readonly size: number
  /** Resolves once every thread has loaded TF.js (a node is not ready to train before). */
  ready(): Promise<void>
  /** Train `job` on a thread; the backend is the thread's (the proof names it). */
  train(job: TrainingJob, report: TrainingReport): Promise<{ readonly trained: Trained; readonly backend: string }>
  /** Terminate the threads; queued and running jobs fail. */
  stop(): Promise<void>
}

interface Pending {
  readonly id: number
  readonly job: TrainingJob
  readonly report: TrainingReport
  readonly resolve: (value: { trained: Trained; backend: string }) => void
  readonly reject: (error: Error) => void
}

interface Thread {
  readonly worker: Worker
  running: Pending | undefined
  readonly loaded: Promise<void>
}

/**
 * A pool of `size` training threads, started now: each loads TF.js (a second
 * or two of compiling) before its first job, not during it. A thread that
 * dies is replaced when the next job needs it.
 */
export const startTrainingThreads = (size: number, entry: URL = new URL("./trainingThread.mjs", import.meta.url)): TrainingThreads => {
  const threads: Array<Thread> = []
  const queue: Array<Pending> = []
  let ids = 0
  let stopped = false

  const finish = (thread: Thread) => {
    thread.running = undefined
    // An idle thread must not keep the process alive.
    thread.worker.unref()
    dispatch()
  }
  const spawn = (): Thread => {
    const worker = new Worker(entry)
    let loaded = () => undefined as void
    const thread: Thread = { worker, running: undefined, loaded: new Promise<void>((resolve) => (loaded = resolve)) }
    thread.worker.on("message", (message: FromThread) => {
      if ("ready" in message) return loaded()
      const job = thread.running
      if (!job || job.id !== message.id) return
      if ("working" in message) job.report.working?.()
      else if ("progress" in message) job.report.progress?.(message.progress)
      else if ("trained" in message) {
        finish(thread)
        job.resolve({ trained: message.trained, backend: message.backend })
      } else {
        finish(thread)
        job.reject(new Error(message.error))
      }
    })
    // A thread that dies (out of memory, a crash in a kernel) fails its job, which the work
    // queue retries; the next job gets a fresh thread.
    const died = (why: string) => {
      loaded()
      const index = threads.indexOf(thread)
      if (index < 0) return
      threads.splice(index, 1)
      const job = thread.running
      thread.running = undefined
      job?.reject(new Error(`training thread failed: ${why}`))
      if (!stopped) dispatch()
    }
    thread.worker.on("error", (e) => died(e.message))
    thread.worker.on("exit", (code) => died(`exited with code ${code}`))
    threads.push(thread)
    return thread
  }
  const dispatch = () => {
    while (!stopped && queue.length > 0) {
      const thread = threads.find((t) => t.running === undefined) ?? (threads.length < size ? spawn() : undefined)
      if (!thread) return
      const job = queue.shift()!
      thread.running = job
      thread.worker.ref()
      const message: ToThread = { id: job.id, job: job.job }
      thread.worker.postMessage(message)
    }
  }
  for (let i = 0; i < size; i++) spawn().worker.unref()
  return {
    size,
    ready: async () => void (await Promise.all(threads.map((t) => t.loaded))),
    train: (job, report) =>
      new Promise((resolve, reject) => {
        if (stopped) return reject(new Error("training threads stopped"))
        queue.push({ id: ++ids, job, report, resolve, reject })
        dispatch()
      }),
    async stop() {
      stopped = true
      for (const job of queue.splice(0)) job.reject(new Error("training threads stopped"))
      const running = [...threads]
      await Promise.all(running.map((t) => t.worker.terminate()))
    }
  }
}

let shared: TrainingThreads | undefined | null = null

/**
 * The process's training threads, shared by every trainer in it:
 * `TRAINING_THREADS` of them (default: cores − 1, at least 1), or none
 * (`TRAINING_THREADS=0`: trainers train on the event loop, as before).
 */
export const processTrainingThreads = (): TrainingThreads | undefined => {
  if (shared !== null) return shared
  const size = orExit(() =>
    readConfig({ TRAINING_THREADS: integer("threads training work items off the event loop (0: on it)", Math.max(1, cpus().length - 1), 0, 64) })
  ).TRAINING_THREADS
  shared = size === 0 ? undefined : startTrainingThreads(size)
  return shared
}
