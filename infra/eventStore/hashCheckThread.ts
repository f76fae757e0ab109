import { parentPort } from "node:worker_threads"
import { checkStoredHashes, type HashCheckJob } from "./hashCheckJob"
import type { StoredBatchJob } from "./storedLogCheck"

// The definition's check and the stored batches' decode load the event catalogue: only when a job asks for it.
let byDefinition: typeof import("./definitionCheck").checkByDefinition | undefined
let storedBatch: typeof import("./storedLogCheck").checkStoredBatch | undefined

type Job = { readonly id: number } & (
  | { readonly kind: "hashes"; readonly job: HashCheckJob; readonly definition: boolean }
  | { readonly kind: "storedBatch"; readonly job: StoredBatchJob }
)

// Answers each job under its id (hashCheckPool.ts matches them): a job that waits for a first load may be answered after a later one.
parentPort!.on("message", async (message: Job) => {
  if (message.kind === "storedBatch") {
    const verdict = (storedBatch ??= (await import("./storedLogCheck")).checkStoredBatch)(message.job)
    return parentPort!.postMessage({ id: message.id, answer: verdict })
  }
  const ok = message.definition ? (byDefinition ??= (await import("./definitionCheck")).checkByDefinition)(message.job) : checkStoredHashes(message.job)
  parentPort!.postMessage({ id: message.id, answer: ok }, [ok.buffer as ArrayBuffer])
})
