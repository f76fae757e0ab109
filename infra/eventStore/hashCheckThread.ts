import { parentPort } from "node:worker_threads"
import { checkStoredHashes, type HashCheckJob } from "./hashCheckJob"

// The definition's check loads the event catalogue: only when a job asks for it (the audit's).
let byDefinition: typeof import("./definitionCheck").checkByDefinition | undefined

// Answers each job with its flags, under the job's id (hashCheckPool.ts matches them): a job that waits for the
// definition's first load may be answered after a later one.
parentPort!.on("message", async (message: { readonly id: number; readonly job: HashCheckJob; readonly definition: boolean }) => {
  const ok = message.definition ? (byDefinition ??= (await import("./definitionCheck")).checkByDefinition)(message.job) : checkStoredHashes(message.job)
  parentPort!.postMessage({ id: message.id, ok }, [ok.buffer as ArrayBuffer])
})
