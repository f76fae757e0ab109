import type { RecordedEvent } from "../../domain/recordedEvent"
import { storedBytesHashTo, storedCommitOf, storedSpans, type StoredHashInput } from "./storedText"

/**
 * A batch of stored-hash checks as it travels to another thread: the stored
 * bytes of the batch's commits side by side in one buffer (transferred, not
 * copied again), where each commit lies in it, and per event which commit,
 * which index in it and the hash the event claims. Only plain data: what a
 * worker needs to say, for each event, whether its stored bytes hash to the
 * hash it claims (hashChain.ts `chainVerifier`'s fast path, on another core).
 */
export interface HashCheckJob {
  readonly bytes: Uint8Array
  /** Per commit: offset and length in `bytes`, and how many events it holds. */
  readonly commits: Uint32Array
  /** Per commit: the global position it was read at (the definition's check decodes it as the readers do: definitionCheck.ts). */
  readonly positions: Float64Array
  /** Per event: its commit's number in `commits` and its index in that commit. */
  readonly events: Uint32Array
  /** Per event: the hash it claims ("0x" + 64 hex digits). */
  readonly hashes: ReadonlyArray<string>
}

/**
 * The job for `events`, or undefined for an event whose stored bytes are not
 * known (built in memory, another adapter): those are checked by the
 * definition, on the caller's thread (`sent[i]` is the event's place in the
 * job, -1 when not sent).
 */
export const packHashCheck = (events: ReadonlyArray<RecordedEvent>): { readonly job: HashCheckJob; readonly sent: Int32Array } => {
  const sent = new Int32Array(events.length).fill(-1)
  const commitBytes: Array<Uint8Array> = []
  const commitSizes: Array<number> = []
  const commitPositions: Array<number> = []
  const eventPlaces: Array<number> = []
  const hashes: Array<string> = []
  let last: Uint8Array | undefined
  let total = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    const stored = storedCommitOf(event)
    if (!stored) continue
    if (stored.bytes !== last) {
      last = stored.bytes
      commitBytes.push(stored.bytes)
      commitSizes.push(event.commitSize)
      commitPositions.push(event.globalPosition)
      total += stored.bytes.length
    }
    sent[i] = hashes.length
    eventPlaces.push(commitBytes.length - 1, stored.index)
    hashes.push(event.hash)
  }
  const bytes = new Uint8Array(total)
  const commits = new Uint32Array(commitBytes.length * 3)
  let offset = 0
  for (let c = 0; c < commitBytes.length; c++) {
    bytes.set(commitBytes[c]!, offset)
    commits[3 * c] = offset
    commits[3 * c + 1] = commitBytes[c]!.length
    commits[3 * c + 2] = commitSizes[c]!
    offset += commitBytes[c]!.length
  }
  return { job: { bytes, commits, positions: Float64Array.from(commitPositions), events: Uint32Array.from(eventPlaces), hashes }, sent }
}

/**
 * For each event of the job, 1 when `holds` says so of it, else 0: the
 * job's layout read in one place for every check of a job. `ofCommit` runs
 * once per commit, on its stored bytes (with the job's commit number and
 * the hash its first event in the job claims); `holds` gets that, the
 * event's index in its commit and the hash it claims.
 */
export const flagEvents = <C>(
  job: HashCheckJob,
  ofCommit: (bytes: Uint8Array, commit: number, firstClaimed: string) => C,
  holds: (ofItsCommit: C, index: number, claimed: string) => boolean
): Uint8Array => {
  const ok = new Uint8Array(job.hashes.length)
  const commits = new Map<number, C>()
  for (let i = 0; i < job.hashes.length; i++) {
    const commit = job.events[2 * i]!
    const claimed = job.hashes[i]!
    if (!commits.has(commit)) {
      const offset = job.commits[3 * commit]!
      commits.set(commit, ofCommit(job.bytes.subarray(offset, offset + job.commits[3 * commit + 1]!), commit, claimed))
    }
    ok[i] = holds(commits.get(commit) as C, job.events[2 * i + 1]!, claimed) ? 1 : 0
  }
  return ok
}

/**
 * For each event of the job, 1 when its stored bytes hash to the hash it
 * claims, else 0 (the caller then checks it by the definition, which has the
 * last word). Pure: the same on any thread.
 */
export const checkStoredHashes = (job: HashCheckJob): Uint8Array =>
  flagEvents(
    job,
    (bytes, commit, firstClaimed): ReadonlyArray<StoredHashInput> | null => storedSpans(bytes, job.commits[3 * commit + 2]!, firstClaimed),
    (spans, index, claimed) => storedBytesHashTo(spans?.[index], claimed)
  )
