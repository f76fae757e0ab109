import { CorruptEvent } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { commitText, decodeCommit, parseCommitText } from "./codec"
import { rememberStoredCommit } from "./storedText"

/** A stored message as every reader of the log takes it: a sealed commit's events, or why it is not one. */
export type DecodedMessage =
  | { readonly _tag: "Commit"; readonly events: ReadonlyArray<RecordedEvent> }
  | { readonly _tag: "Foreign"; readonly reason: string }

/**
 * Decode a stored message's bytes. Anything that is not a sealed commit at
 * its own position is foreign (only the API should be able to write the log,
 * but a leaked credential must not be able to stop every writer and reader):
 * readers skip it, writers link over it, the audit lists it. Pure, and on
 * any thread the same (the log's verifiers decode on worker threads:
 * storedLogCheck.ts).
 */
export const decodeStoredMessage = (data: Uint8Array, seq: number, keepStored = false): DecodedMessage => {
  try {
    const events = decodeCommit(parseCommitText(commitText(data), seq), seq)
    // The log as stored (readLog: audits, the bridge, GET /events/verify on adapters without stored bytes) keeps each event's stored bytes
    // for a verifier (storedText.ts); replays, subscriptions and streams' histories do not.
    if (keepStored) rememberStoredCommit(events, data)
    return { _tag: "Commit", events }
  } catch (e) {
    if (!(e instanceof CorruptEvent)) throw e
    // The reason quotes attacker-chosen bytes: keep it printable and short.
    return { _tag: "Foreign", reason: e.reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 200) }
  }
}

/** The stream a message's subject (`<prefix>.<aggregate>.<id>`) names, as a foreign entry reports it. */
export const streamOfSubject = (subjectPrefix: string, subject: string): string => {
  const prefix = `${subjectPrefix}.`
  const [aggregate, id] = subject.startsWith(prefix) ? subject.slice(prefix.length).split(".") : [subject, ""]
  return `${aggregate}-${id}`
}
