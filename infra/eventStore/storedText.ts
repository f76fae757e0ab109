import type { RecordedEvent } from "../../domain/recordedEvent"
import { keccak256Matches } from "../keccak"

/**
 * The bytes each event read from the log was stored as, so a verifier can
 * hash them as stored instead of encoding the decoded event again. An event's
 * hash is keccak256 of the canonical JSON of its envelope without `hash`
 * (hashChain.ts `computeEventHash`, the definition); a sealed commit stores
 * exactly that canonical text, UTF-8, with `"hash":"0x…",` put in its place
 * (`sealCommit`). So the hashed bytes of an event read from the store are its
 * stored bytes less that member, in two pieces: no Schema encode, no
 * canonical serialisation (half of a verified replay's time), and no text
 * cut, joined and encoded to UTF-8 again (that took verifying from ~3.5 to
 * ~5.5 µs per event in A/B runs of a real replay). Kept beside the decoded
 * events in a WeakMap: they go with them (a message's bytes are a view on
 * the chunk it was read in, freed with its last event), and an event
 * without them (built in memory, another adapter) is verified by the definition.
 *
 * The scan works on bytes as the text's scan would on characters: JSON's
 * quotes, backslashes, braces and brackets are ASCII, and no byte of a
 * multi-byte UTF-8 character is below 0x80, so none is taken for one.
 */
/** The bytes an event's hash covers, in order (its stored object up to the member, and after it), and the hash stored with it. */
export interface StoredHashInput {
  readonly hashed: readonly [Uint8Array, Uint8Array]
  readonly hash: string
}

interface StoredCommit {
  readonly bytes: Uint8Array
  /** Per event, computed on first use; null when the bytes are not a sealed commit's shape. */
  spans?: ReadonlyArray<StoredHashInput> | null
}

const storedCommits = new WeakMap<RecordedEvent, { readonly commit: StoredCommit; readonly index: number }>()

/** Remember the stored bytes of a commit's decoded events (the reader calls it with the message's bytes, never changed after). */
export const rememberStoredCommit = (events: ReadonlyArray<RecordedEvent>, bytes: Uint8Array): void => {
  const commit: StoredCommit = { bytes }
  for (let i = 0; i < events.length; i++) storedCommits.set(events[i]!, { commit, index: i })
}

/** The bytes an event's hash covers and the hash stored with it, as the store holds them; undefined when unknown. */
export const storedHashInput = (event: RecordedEvent): StoredHashInput | undefined => {
  const stored = storedCommits.get(event)
  if (!stored) return undefined
  const { commit } = stored
  if (commit.spans === undefined) commit.spans = storedSpans(commit.bytes, event.commitSize, event.hash)
  return commit.spans?.[stored.index]
}

/** Whether these stored bytes hash to `claimed` and were stored with it (the verifiers' check of bytes as they are). */
export const storedBytesHashTo = (stored: StoredHashInput | undefined, claimed: string): boolean =>
  stored !== undefined && stored.hash === claimed && keccak256Matches(stored.hashed, claimed)

/**
 * The stored bytes of the commit an event was read in and its index there
 * (what a verifier on another thread is sent: hashCheckJob.ts); undefined when unknown.
 */
export const storedCommitOf = (event: RecordedEvent): { readonly bytes: Uint8Array; readonly index: number } | undefined => {
  const stored = storedCommits.get(event)
  return stored && { bytes: stored.commit.bytes, index: stored.index }
}

/** Each event's hashed bytes and stored hash in a commit's stored bytes (its first event's hash speeds up the common one-event case); null when not a sealed commit's shape. */
export const storedSpans = (bytes: Uint8Array, commitSize: number, firstHash: string): ReadonlyArray<StoredHashInput> | null =>
  (commitSize === 1 ? oneEventSpan(bytes, firstHash) : hashSpans(bytes)) ?? null

const COMMIT_OPEN = Buffer.from('{"events":[', "latin1")
const COMMIT_CLOSE = Buffer.from("]}", "latin1")
/** Whether `pattern` stands in `bytes` at `at`. */
const bytesAt = (bytes: Uint8Array, at: number, pattern: Uint8Array): boolean => {
  if (at < 0) return false
  for (let k = 0; k < pattern.length; k++) if (bytes[at + k] !== pattern[k]) return false
  return true
}
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))

/**
 * Most commits hold one event: `{"events":[` + the event + `]}`, its member
 * `"hash":"<the event's hash>",` found by a search instead of a scan (a
 * quarter of the time). Inside a string every quote is escaped, so that text
 * can only be a member; the first one is the envelope's, as no content can
 * hold the hash of the envelope it is part of. Anything else: the scan.
 */
const oneEventSpan = (bytes: Uint8Array, hash: string): StoredCommit["spans"] => {
  const buffer = asBuffer(bytes)
  const end = buffer.length - COMMIT_CLOSE.length
  if (!bytesAt(bytes, 0, COMMIT_OPEN) || !bytesAt(bytes, end, COMMIT_CLOSE)) return hashSpans(bytes)
  const member = `"hash":"${hash}",`
  const at = buffer.indexOf(member, COMMIT_OPEN.length, "latin1")
  if (at < 0) return hashSpans(bytes)
  return [{ hashed: [bytes.subarray(COMMIT_OPEN.length, at), bytes.subarray(at + member.length, end)], hash }]
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const HASH_MEMBER = '"hash":"0x'
const HASH_MEMBER_BYTES = Buffer.from(HASH_MEMBER, "latin1")
/** `"hash":"0x` + 64 hex digits + `"`. */
const HASH_MEMBER_LENGTH = HASH_MEMBER.length + 64 + 1
const COMMA = 0x2c


/**
 * Cut a commit's bytes (`{"events":[{…},{…}]}`) into each event's hashed
 * bytes: the event object less its top-level `"hash":"0x…",` member. A scan
 * that knows strings (quotes inside them are escaped), so a value that merely
 * contains such text is never taken for the member. Null when the bytes do
 * not have the shape sealing writes (then the caller verifies by the
 * definition).
 */
export const hashSpans = (bytes: Uint8Array): Array<StoredHashInput> | null => {
  const spans: Array<StoredHashInput> = []
  let depth = 0
  let inString = false
  let eventStart = -1
  let hashAt = -1
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) {
      // A member of an event itself (depth 3: the commit, its array, the event).
      if (depth === 3 && hashAt < 0 && bytesAt(bytes, i, HASH_MEMBER_BYTES)) {
        if (bytes[i + HASH_MEMBER_LENGTH - 1] !== QUOTE || bytes[i + HASH_MEMBER_LENGTH] !== COMMA) return null
        hashAt = i
        i += HASH_MEMBER_LENGTH
        continue
      }
      inString = true
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++
      if (depth === 3 && c === 0x7b) {
        eventStart = i
        hashAt = -1
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth === 3 && c === 0x7d) {
        if (eventStart < 0 || hashAt < 0) return null
        spans.push({
          hashed: [bytes.subarray(eventStart, hashAt), bytes.subarray(hashAt + HASH_MEMBER_LENGTH + 1, i + 1)],
          hash: asBuffer(bytes).toString("latin1", hashAt + HASH_MEMBER.length - 2, hashAt + HASH_MEMBER_LENGTH - 1)
        })
        eventStart = -1
      }
      depth--
    }
  }
  return depth === 0 ? spans : null
}
