import type { RecordedEvent } from "../../domain/recordedEvent"
import { commitText, decodeCommit, parseCommitText } from "./codec"
import type { HashCheckJob } from "./hashCheckJob"
import { recordedEventHash } from "./hashChain"

/**
 * For each event of the job, 1 when its hash by the definition (the stored
 * commit decoded with the catalogue, each event encoded again and its
 * canonical JSON hashed: `recordedEventHash`) is the hash it claims, else 0.
 * What the audit checks for every event (`integrityProblems`), from the same
 * bytes, so it can run on a worker thread (hashCheckPool.ts) with the same
 * verdicts: stricter than `checkStoredHashes`, which takes bytes that hash to
 * their claim as they are (a text that is not the canonical form of what it
 * decodes to, e.g. with a member twice, passes that one and fails this one).
 * Pure: the same on any thread.
 */
export const checkByDefinition = (job: HashCheckJob): Uint8Array => {
  const ok = new Uint8Array(job.hashes.length)
  const decoded = new Map<number, ReadonlyArray<RecordedEvent> | null>()
  for (let i = 0; i < job.hashes.length; i++) {
    const commit = job.events[2 * i]!
    let events = decoded.get(commit)
    if (events === undefined) {
      const offset = job.commits[3 * commit]!
      const position = job.positions[commit]!
      // Decoded as the log's readers decode it (codec.ts); a commit they would refuse is left to the caller, as any event this answers 0 for.
      try {
        events = decodeCommit(parseCommitText(commitText(job.bytes.subarray(offset, offset + job.commits[3 * commit + 1]!)), position), position)
      } catch {
        events = null
      }
      decoded.set(commit, events)
    }
    const event = events?.[job.events[2 * i + 1]!]
    ok[i] = event !== undefined && recordedEventHash(event) === job.hashes[i] ? 1 : 0
  }
  return ok
}
