// A stand-in training thread for the pool's spec (trainingThreads.int): it
// loads nothing, says it is ready, and answers each job by its base bytes'
// first byte: 1 exits the thread (a crash), 2 fails the job, anything else
// "trains" (echoes the bytes back as the only state).
import { parentPort } from "node:worker_threads"

parentPort.postMessage({ ready: "stand-in" })
parentPort.on("message", ({ id, job }) => {
  const mode = job.base[0]
  if (mode === 1) process.exit(3)
  if (mode === 2) return parentPort.postMessage({ id, error: "no such kernel" })
  parentPort.postMessage({ id, progress: `job ${id}` })
  parentPort.postMessage({ id, working: true })
  parentPort.postMessage({ id, backend: "stand-in", trained: { states: [{ weights: job.base, optimizer: job.base }], interval: 1, steps: 1, sampleCount: 0, heldOut: {} } })
})
