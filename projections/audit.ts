import { Exit, Schema } from "effect"
import { RecordedEvent, type EncodedRecordedEvent } from "../domain/recordedEvent"
import { integrityProblems } from "../infra/eventStore/hashChain"
import { signatureRecovers, type SignedCommandRecord } from "../infra/identity/commandSignature"
import { ReadModels } from "./projector"

export interface AuditProblem {
  readonly kind: "edited" | "link" | "order" | "undecodable" | "signature" | "projection"
  readonly globalPosition?: number
  readonly indexInCommit?: number
  readonly eventId?: string
  readonly projection?: string
  readonly docId?: string
  readonly detail: string
}

export interface AuditReport {
  readonly ok: boolean
  readonly events: number
  readonly commits: number
  readonly signaturesVerified: number
  readonly unsignedCommits: number
  readonly rebuiltPosition: number
  readonly comparedWithLiveAt?: number
  readonly problems: ReadonlyArray<AuditProblem>
  /**
   * Messages on the log's subjects that are not sealed commits (written around
   * the API, e.g. with a leaked credential), by position. Outside the hash
   * chain, so they change no verdict above; listed so an operator sees them.
   */
  readonly foreignMessages: ReadonlyArray<{ readonly globalPosition: number; readonly stream: string; readonly reason: string }>
}

const decode = Schema.decodeUnknownExit(RecordedEvent)

/**
 * Checks of the same log done before, elsewhere (auditPrechecks.ts: on
 * worker threads, from the events as stored), by index in `events`: what
 * they settle is not done again here; what they leave open is.
 */
export interface AuditPrechecks {
  /** True when the event's stored bytes hash to its stored hash (false: hash it here, by the definition). */
  readonly hashConfirmed?: (index: number) => boolean
  /** For the first event of each commit: whether its signature recovers, as `signatureRecovers` answers. */
  readonly signature?: (index: number) => boolean | undefined
}

/**
 * Replay the whole log from position 1 into fresh read models and check
 * everything that can be checked without trusting anyone:
 * - every event's content re-hashes to its stored hash, every link and
 *   position is in order (the hash chain);
 * - every signed command's signature recovers to the actor that the events
 *   name (re-computing the digest from the signed payload kept in metadata);
 * - every event decodes with today's catalogue;
 * - the rebuilt read models equal the live ones at the position those reflect.
 */
export const auditLog = (
  events: ReadonlyArray<EncodedRecordedEvent>,
  live?: { readonly position: number; readonly collections: Record<string, Record<string, unknown>> },
  foreign: ReadonlyArray<{ readonly globalPosition: number; readonly stream: string; readonly reason: string }> = [],
  prechecks: AuditPrechecks = {}
): AuditReport => {
  const problems: Array<AuditProblem> = [...integrityProblems(events, prechecks.hashConfirmed)]
  const at = (e: EncodedRecordedEvent) => ({ globalPosition: e.globalPosition, indexInCommit: e.indexInCommit, eventId: e.id })
  let signaturesVerified = 0
  let unsignedCommits = 0
  let commits = 0
  const models = new ReadModels()
  for (const [index, e] of events.entries()) {
    if (e.indexInCommit === 0) {
      commits++
      const m = e.metadata
      const recovers = prechecks.signature ? prechecks.signature(index) : signatureRecovers(m as SignedCommandRecord)
      if (recovers === undefined) unsignedCommits++
      else if (recovers) signaturesVerified++
      else problems.push({ kind: "signature", ...at(e), detail: `signature does not recover to ${m.actor}` })
    }
    const decoded = decode(e)
    if (Exit.isFailure(decoded)) {
      problems.push({ kind: "undecodable", ...at(e), detail: "does not decode with the event catalogue" })
      continue
    }
    if (!live || e.globalPosition <= live.position) models.push(decoded.value)
  }

  if (live) {
    const rebuilt = models.snapshot()
    for (const name of new Set([...Object.keys(rebuilt.collections), ...Object.keys(live.collections)])) {
      const a = rebuilt.collections[name] ?? {}
      const b = live.collections[name] ?? {}
      for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!(id in b)) problems.push({ kind: "projection", projection: name, docId: id, detail: "in the replay, missing from the live read model" })
        else if (!(id in a)) problems.push({ kind: "projection", projection: name, docId: id, detail: "in the live read model, not produced by the replay" })
        else if (JSON.stringify(a[id]) !== JSON.stringify(b[id])) problems.push({ kind: "projection", projection: name, docId: id, detail: "differs between replay and live" })
      }
    }
  }
  return {
    ok: problems.length === 0,
    events: events.length,
    commits,
    signaturesVerified,
    unsignedCommits,
    rebuiltPosition: models.checkpoint,
    ...(live ? { comparedWithLiveAt: live.position } : {}),
    problems,
    foreignMessages: foreign.map((f) => ({ globalPosition: f.globalPosition, stream: f.stream, reason: f.reason }))
  }
}
