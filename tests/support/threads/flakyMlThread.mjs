// A stand-in ML thread for the pool's spec (mlThreads.int): it loads
// nothing, says it is ready, and answers each job by its weights' first byte
// (job.measure.weights): 1 exits the thread (a crash), 2 fails the job,
// anything else answers the bytes back.
import { parentPort } from "node:worker_threads"

parentPort.postMessage({ ready: "stand-in" })
parentPort.on("message", ({ id, job }) => {
  const mode = job.measure.weights[0]
  if (mode === 1) process.exit(3)
  if (mode === 2) return parentPort.postMessage({ id, error: "no such kernel" })
  parentPort.postMessage({ id, progress: `job ${id}` })
  parentPort.postMessage({ id, working: true })
  parentPort.postMessage({ id, backend: "stand-in", answer: job.measure.weights })
})
