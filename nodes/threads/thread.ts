import { parentPort } from "node:worker_threads"
import { loadTf } from "../../infra/ml/tf"
import { runJob, type MlJob } from "./jobs"
import { mapSamples, samplesReceiver, type SamplesOnWire } from "./keptSamples"

/**
 * One ML thread: loads TF.js as a node process does (same backend, same
 * kernels), then runs the jobs the pool posts, one at a time, and posts back
 * heartbeats, progress lines and the answer (or the error's text). A job's
 * sample sets come as kept-sample references (keptSamples.ts).
 */
export type ToThread = { readonly id: number; readonly job: MlJob }
export type FromThread =
  | { readonly ready: string }
  | { readonly id: number; readonly working: true }
  | { readonly id: number; readonly progress: string }
  | { readonly id: number; readonly answer: unknown; readonly backend: string }
  | { readonly id: number; readonly error: string }

const port = parentPort!
const tf = loadTf()
const received = samplesReceiver()
void tf.then((loaded) => port.postMessage({ ready: loaded.backend } satisfies FromThread))
port.on("message", ({ id, job: sent }: ToThread) => {
  const post = (message: FromThread) => port.postMessage(message)
  void (async () => {
    try {
      // Taken here, in message order, as the pool's mirror expects.
      const job = mapSamples(sent, (wire: SamplesOnWire) => received(wire))
      const loaded = await tf
      // A replay says "working" after every step: one message a second is enough to hold the item.
      let lastBeat = -Infinity
      const working = () => {
        const now = performance.now()
        if (now - lastBeat < 1_000) return
        lastBeat = now
        post({ id, working: true })
      }
      const answer = await runJob(loaded, job, { working, progress: (line) => post({ id, progress: line }) })
      post({ id, answer, backend: loaded.backend })
    } catch (e) {
      post({ id, error: e instanceof Error ? e.message : String(e) })
    }
  })()
})
