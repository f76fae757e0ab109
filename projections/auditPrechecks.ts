import type { RecordedEvent } from "../domain/recordedEvent"
import { confirmStoredHashes } from "../infra/eventStore/hashCheckPool"
import { signatureRecoversAsync, type SignedCommandRecord } from "../infra/identity/commandSignature"
import type { AuditPrechecks } from "./audit"

/** Events per hash-check job. */
const JOB_EVENTS = 1024
/** Hash-check jobs in flight at once. */
const HASH_JOBS_IN_FLIGHT = 4
/** Signatures recovered at once (~45 µs each natively). */
const SIGNATURE_CHUNK = 256

/**
 * The audit's heaviest checks, done on worker threads before it runs
 * (`auditLog`'s prechecks): whether each event's hash by the definition is
 * its stored hash, computed from its stored bytes (hashCheckPool.ts,
 * definitionCheck.ts: the audit's own check, not the verifier's lighter
 * one on the bytes as they are), and whether each signed command's
 * signature recovers to its actor (recoverPool.ts). On the event loop these
 * were a definition hash per event and a recovery per commit: a long log's
 * audit held the API for all of it. `events` as read from the log as stored
 * (`readLog`, with their stored bytes); an event without them, or not
 * confirmed, is left to the audit's own check.
 */
export const auditPrechecks = async (
  events: ReadonlyArray<RecordedEvent>,
  /** Events per hash-check job and signatures per chunk (smaller in specs, to run many of each). */
  sizes: { readonly jobEvents?: number; readonly signatureChunk?: number } = {}
): Promise<AuditPrechecks> => {
  const jobEvents = sizes.jobEvents ?? JOB_EVENTS
  const signatureChunk = sizes.signatureChunk ?? SIGNATURE_CHUNK
  const confirmed = new Uint8Array(events.length)
  const hashChecks = (async () => {
    // A few jobs in flight: each holds a copy of its events' stored bytes.
    const inFlight: Array<Promise<void>> = []
    for (let first = 0; first < events.length; first += jobEvents) {
      inFlight.push(confirmStoredHashes(events.slice(first, first + jobEvents), { definition: true }).then((ok) => confirmed.set(ok, first)))
      if (inFlight.length >= HASH_JOBS_IN_FLIGHT) await inFlight.shift()
    }
    await Promise.all(inFlight)
  })()
  const signatures = new Map<number, boolean | undefined>()
  const recoveries = (async () => {
    const firsts = events.flatMap((e, index) => (e.indexInCommit === 0 ? [index] : []))
    // A chunk at a time: the API's own commands share the signature workers, and wait behind one chunk at most.
    for (let i = 0; i < firsts.length; i += signatureChunk) {
      await Promise.all(
        firsts.slice(i, i + signatureChunk).map(async (index) => void signatures.set(index, await signatureRecoversAsync(events[index]!.metadata as SignedCommandRecord)))
      )
    }
  })()
  await Promise.all([hashChecks, recoveries])
  return { hashConfirmed: (index) => confirmed[index] === 1, signature: (index) => signatures.get(index) }
}
