import { parentPort } from "node:worker_threads"
import { checkStoredHashes, type HashCheckJob } from "./hashCheckJob"

// Answers each job with its flags (hashCheckPool.ts), in the order asked.
parentPort!.on("message", (message: { readonly id: number; readonly job: HashCheckJob }) => {
  const ok = checkStoredHashes(message.job)
  parentPort!.postMessage({ id: message.id, ok }, [ok.buffer as ArrayBuffer])
})
