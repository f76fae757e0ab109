import type { RecordedEvent } from "../../domain/recordedEvent"

/**
 * The text each event read from the log was stored as, so a verifier can
 * hash it as stored instead of encoding the decoded event again. An event's
 * hash is keccak256 of the canonical JSON of its envelope without `hash`
 * (hashChain.ts `computeEventHash`, the definition); a sealed commit stores
 * exactly that canonical text with `"hash":"0x…",` put in its place
 * (`sealCommit`). So the hashed text of an event read from the store is its
 * stored text less that member: no Schema encode, no canonical serialisation
 * (those were half the time of a verified replay). Kept beside the decoded
 * events in a WeakMap: it goes with them, and an event without one (built in
 * memory, another adapter) is verified by the definition.
 */
interface CommitText {
  readonly text: string
  /** Per event: the text its hash covers and the hash stored in it; undefined when the text is not a sealed commit's shape. */
  spans?: ReadonlyArray<{ readonly hashed: string; readonly hash: string }> | null
}

const storedTexts = new WeakMap<RecordedEvent, { readonly commit: CommitText; readonly index: number }>()

/** Remember the stored text of a commit's decoded events (the reader calls it). */
export const rememberStoredText = (events: ReadonlyArray<RecordedEvent>, text: string): void => {
  const commit: CommitText = { text }
  for (let i = 0; i < events.length; i++) storedTexts.set(events[i]!, { commit, index: i })
}

const COMMIT_OPEN = '{"events":['
const COMMIT_CLOSE = "]}"

/** The text an event's hash covers and the hash stored with it, as the store holds them; undefined when unknown. */
export const storedHashInput = (event: RecordedEvent): { readonly hashed: string; readonly hash: string } | undefined => {
  const stored = storedTexts.get(event)
  if (!stored) return undefined
  const { commit } = stored
  if (commit.spans === undefined) commit.spans = event.commitSize === 1 ? oneEventSpan(commit.text, event.hash) : hashSpans(commit.text)
  return commit.spans?.[stored.index]
}

/**
 * Most commits hold one event: `{"events":[` + the event + `]}`, its member
 * `"hash":"<the event's hash>",` found by a search instead of a scan (a
 * quarter of the time). Inside a string every quote is escaped, so that text
 * can only be a member; the first one is the envelope's, as no content can
 * hold the hash of the envelope it is part of. Anything else: the scan.
 */
const oneEventSpan = (text: string, hash: string): CommitText["spans"] => {
  if (!text.startsWith(COMMIT_OPEN) || !text.endsWith(COMMIT_CLOSE)) return hashSpans(text)
  const member = `"hash":"${hash}",`
  const at = text.indexOf(member, COMMIT_OPEN.length)
  if (at < 0) return hashSpans(text)
  return [{ hashed: text.slice(COMMIT_OPEN.length, at) + text.slice(at + member.length, text.length - COMMIT_CLOSE.length), hash }]
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const HASH_MEMBER = '"hash":"0x'
/** `"hash":"0x` + 64 hex digits + `"`. */
const HASH_MEMBER_LENGTH = HASH_MEMBER.length + 64 + 1

/**
 * Cut a commit's text (`{"events":[{…},{…}]}`) into each event's hashed text:
 * the event object less its top-level `"hash":"0x…",` member. A scan that
 * knows strings (quotes inside them are escaped), so a value that merely
 * contains such text is never taken for the member. Null when the text does
 * not have the shape sealing writes (then the caller verifies by the
 * definition).
 */
export const hashSpans = (text: string): Array<{ hashed: string; hash: string }> | null => {
  const spans: Array<{ hashed: string; hash: string }> = []
  let depth = 0
  let inString = false
  let eventStart = -1
  let hashAt = -1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) {
      // A member of an event itself (depth 3: the commit, its array, the event).
      if (depth === 3 && hashAt < 0 && text.startsWith(HASH_MEMBER, i)) {
        if (text.charCodeAt(i + HASH_MEMBER_LENGTH - 1) !== QUOTE || text[i + HASH_MEMBER_LENGTH] !== ",") return null
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
          hashed: text.slice(eventStart, hashAt) + text.slice(hashAt + HASH_MEMBER_LENGTH + 1, i + 1),
          hash: text.slice(hashAt + HASH_MEMBER.length - 2, hashAt + HASH_MEMBER_LENGTH - 1)
        })
        eventStart = -1
      }
      depth--
    }
  }
  return depth === 0 ? spans : null
}
