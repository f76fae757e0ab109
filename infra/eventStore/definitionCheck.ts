import type { RecordedEvent } from "../../domain/recordedEvent"
import { commitText, decodeCommit, parseCommitText } from "./codec"
import { flagEvents, type HashCheckJob } from "./hashCheckJob"
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
export const checkByDefinition = (job: HashCheckJob): Uint8Array =>
  flagEvents(
    job,
    (bytes, commit): ReadonlyArray<RecordedEvent> | null => {
      const position = job.positions[commit]!
      // Decoded as the log's readers decode it (codec.ts); a commit they would refuse is left to the caller, as any event this answers 0 for.
      try {
        return decodeCommit(parseCommitText(commitText(bytes), position), position)
      } catch {
        return null
      }
    },
    (events, index, claimed) => {
      const event = events?.[index]
      return event !== undefined && recordedEventHash(event) === claimed
    }
  )
