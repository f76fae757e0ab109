import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { integer, orExit, readConfig } from "../../infra/config"
import { deferredTf, loadTf, type LoadedTf } from "../../infra/ml/tf"
import type { TrainingReport } from "../trainer/localTraining"
import type { MlAnswers, MlJob } from "./jobs"
import { mapSamples, samplesSender } from "./keptSamples"
import type { FromThread, ToThread } from "./thread"

/**
 * TF.js work off the event loop. Training, a judge's replay and a held-out
 * measurement are CPU-bound: on the event loop they hold back the node's
 * heartbeats and NATS traffic, and every other node sharing the process (a
 * local network runs them all in one), while the machine's other cores sit
 * idle. These threads run whole jobs (fetched and hash-checked on the event
 * loop), one job per thread at a time, first come first served.
 */
export interface MlThreads {
  readonly size: number
  /**
   * Once every thread has loaded TF.js or died trying (a node is not ready to
   * work before): whether all of them loaded.
   */
  ready(): Promise<boolean>
  /** The backend the threads loaded (undefined before the first is ready). */
  readonly backend: string | undefined
  /** Run `job` on a thread; the backend is the thread's (a proof names it, a replay must match it). */
  run<J extends MlJob>(job: J, report?: TrainingReport): Promise<{ readonly answer: MlAnswers[J["kind"]]; readonly backend: string }>
  /** Terminate the threads; queued and running jobs fail. */
  stop(): Promise<void>
}

interface Pending {
  readonly id: number
  readonly job: MlJob
  readonly report: TrainingReport
  readonly resolve: (value: { answer: never; backend: string }) => void
  readonly reject: (error: Error) => void
}

interface Thread {
  readonly worker: Worker
  /** The samples it keeps (a mirror of the thread's). */
  readonly send: ReturnType<typeof samplesSender>
  running: Pending | undefined
  /** True once it has loaded TF.js, false if it died first. */
  readonly loaded: Promise<boolean>
}

/**
 * A pool of `size` ML threads, started now: each loads TF.js (a second or
 * two of compiling) before its first job, not during it. A thread that dies
 * is replaced when the next job needs it.
 */
export const startMlThreads = (size: number, entry: URL = new URL("./thread.mjs", import.meta.url)): MlThreads => {
  const threads: Array<Thread> = []
  const queue: Array<Pending> = []
  let ids = 0
  let stopped = false
  let backend: string | undefined

  const finish = (thread: Thread) => {
    thread.running = undefined
    // An idle thread must not keep the process alive.
    thread.worker.unref()
    dispatch()
  }
  const spawn = (): Thread => {
    const worker = new Worker(entry)
    let loaded = (_: boolean) => undefined as void
    const thread: Thread = { worker, send: samplesSender(), running: undefined, loaded: new Promise<boolean>((resolve) => (loaded = resolve)) }
    worker.on("message", (message: FromThread) => {
      if ("ready" in message) {
        backend ??= message.ready
        // Held while it loads (a process awaiting ready() has nothing else alive, maybe); idle from now on.
        if (!thread.running) worker.unref()
        return loaded(true)
      }
      const job = thread.running
      if (!job || job.id !== message.id) return
      if ("working" in message) job.report.working?.()
      else if ("progress" in message) job.report.progress?.(message.progress)
      else if ("answer" in message) {
        finish(thread)
        job.resolve({ answer: message.answer as never, backend: message.backend })
      } else {
        finish(thread)
        job.reject(new Error(message.error))
      }
    })
    // A thread that dies (out of memory, a crash in a kernel) fails its job, which the work
    // queue retries; the next job gets a fresh thread.
    const died = (why: string) => {
      loaded(false)
      const index = threads.indexOf(thread)
      if (index < 0) return
      threads.splice(index, 1)
      const job = thread.running
      thread.running = undefined
      job?.reject(new Error(`ML thread failed: ${why}`))
      if (!stopped) dispatch()
    }
    worker.on("error", (e) => died(e.message))
    worker.on("exit", (code) => died(`exited with code ${code}`))
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
      try {
        const message: ToThread = { id: job.id, job: mapSamples(job.job, thread.send) }
        thread.worker.postMessage(message)
      } catch (e) {
        // Not sent (a value that cannot be cloned): the mirror of its kept samples may be ahead of
        // the thread now, so the thread leaves the pool at once (this loop must not hand it the
        // next job while it terminates) and the next job gets a fresh one.
        threads.splice(threads.indexOf(thread), 1)
        thread.running = undefined
        job.reject(e instanceof Error ? e : new Error(String(e)))
        void thread.worker.terminate()
      }
    }
  }
  for (let i = 0; i < size; i++) spawn()
  return {
    size,
    ready: async () => (await Promise.all(threads.map((t) => t.loaded))).every(Boolean),
    get backend() {
      return backend
    },
    run: (job, report = {}) =>
      new Promise((resolve, reject) => {
        if (stopped) return reject(new Error("ML threads stopped"))
        queue.push({ id: ++ids, job, report, resolve: resolve as Pending["resolve"], reject })
        dispatch()
      }),
    async stop() {
      stopped = true
      for (const job of queue.splice(0)) job.reject(new Error("ML threads stopped"))
      await Promise.all([...threads].map((t) => t.worker.terminate()))
    }
  }
}

/**
 * Run `job` on `threads` and check the thread's backend against the node's:
 * a proof names the node's backend, and a replay must run on the backend of
 * the run it reproduces.
 */
export const onThread = async <J extends MlJob>(threads: MlThreads, job: J, nodeBackend: string, report?: TrainingReport): Promise<MlAnswers[J["kind"]]> => {
  const { answer, backend } = await threads.run(job, report)
  if (backend !== nodeBackend) throw new Error(`ML thread runs ${backend}, this node ${nodeBackend}`)
  return answer
}

let shared: MlThreads | undefined | null = null

/**
 * The process's ML threads, shared by every node in it: `ML_THREADS` of them,
 * or none (`ML_THREADS=0`: nodes train, replay and measure on the event
 * loop, as before). The default is the caller's: a node process works one
 * item at a time, so one thread; a local network (every node in one process)
 * one per core, not cores − 1, because its event loop mostly waits (on NATS,
 * the API) while the ML work runs: the 4-trainer digits network ran its
 * rounds in ~750 ms with two threads on two cores against ~1,000 ms with one
 * (scratch runs).
 */
export const processMlThreads = (defaultSize: number): MlThreads | undefined => {
  if (shared !== null) return shared
  const size = orExit(() => readConfig({ ML_THREADS: integer("threads TF.js training, replays and held-out measurements run on (0: the event loop)", defaultSize, 0, 64) })).ML_THREADS
  shared = size === 0 ? undefined : startMlThreads(size)
  return shared
}

/** One per core: the default where one process hosts many nodes. */
export const threadsPerCore = () => availableParallelism()

/**
 * The process's ML threads once they are ready, as a node's deps (`{ threads }`),
 * or `{}` (the event loop) when they are off or could not load TF.js: a node
 * that cannot start its threads still works, as it did before them.
 */
export const readyMlThreads = async (defaultSize: number, log: (line: string) => void): Promise<{ readonly threads?: MlThreads }> => {
  const pool = processMlThreads(defaultSize)
  if (!pool) return {}
  if (await pool.ready()) return { threads: pool }
  log(`ML threads could not load TF.js: training, replays and measurements run on the event loop`)
  if (shared === pool) shared = undefined
  await pool.stop()
  return {}
}

/**
 * A trainer's or validator's process: its ML thread (one; it works one item at a time) and
 * its TF.js. With the thread ready, the thread's backend, TF.js loading on the event loop only
 * for work that must run there (deferredTf); without it, TF.js on the event loop.
 */
export const nodeProcessMl = async (log: (line: string) => void): Promise<{ readonly tf: LoadedTf; readonly threads?: MlThreads }> => {
  const { threads } = await readyMlThreads(1, log)
  const tf = threads?.backend ? deferredTf(threads.backend) : await loadTf()
  return threads ? { tf, threads } : { tf }
}
