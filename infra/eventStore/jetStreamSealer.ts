import type { RecordedEvent } from "../../domain/recordedEvent"
import { RecentMap } from "../recentMap"
import { commitTextBytes, sealedToRecorded, type PreparedAppend } from "./codec"
import { sealCommit, type ChainTip } from "./hashChain"
import type { StreamHead } from "./jetStreamReader"

/**
 * The chain head plus the msgID (store command id) of the commit at it.
 * `optimistic`: sealed by us but not yet acknowledged. Only then can its
 * sequence end up taken by another writer's commit, so only then do we also
 * expect the last msg id (the server remembers msg ids only within the
 * duplicate window; a confirmed, immutable head needs no such check).
 */
export interface Head extends ChainTip {
  readonly msgId: string | undefined
  readonly optimistic: boolean
}

/** A commit sealed for publishing, with the expectations the server must check. */
export interface Sealed {
  readonly payload: Uint8Array
  readonly tip: ChainTip
  readonly expectedLastSeq: number
  readonly expectedLastMsgId: string | undefined
  readonly expectedSubjectSeq: number
  readonly events: ReadonlyArray<RecordedEvent>
  /** The view it was sealed on; -1 when doomed (its stream expectation cannot hold). */
  readonly generation: number
}

/** What the sealer reads from the log when it does not know a head. */
export interface HeadReader {
  loadHead(): Promise<Head>
  loadStreamHead(stream: string): Promise<StreamHead>
}

const mismatch = (p: PreparedAppend, h: StreamHead): boolean => {
  const expected = p.expectedRevision
  return (expected === "no_stream" && h.revision !== undefined) || (typeof expected === "number" && expected !== h.revision)
}

/**
 * One writer's optimistic view of the log: the chain head and the heads of
 * the streams it wrote, advanced by each seal before the server has
 * acknowledged it, so appends pipeline. Sealing is serialised (each commit
 * links to the one before); a failed publish discards the view
 * (`forget`), and the commits sealed on it fail at the server and are
 * resealed by the caller.
 */
export class ChainSealer {
  private head: Head | undefined
  /** Bumped whenever the view is discarded, so stale seals do not overwrite a fresh one. */
  private generation = 0
  /**
   * Stream heads as this writer left them. One entry per stream written, so
   * bounded (RecentMap): a long-running API writes to a new stream with
   * nearly every registration, dataset and task. Letting one go is always
   * safe (the next append reads the head; the server checks the
   * expectations either way).
   */
  private readonly heads: RecentMap<string, StreamHead>
  private sealing: Promise<unknown> = Promise.resolve()
  /** Seals holding or waiting for the lock (those that had to read something first). */
  private locked = 0

  constructor(
    cachedStreamHeads: number,
    private readonly reader: HeadReader,
    private readonly now: () => Date
  ) {
    this.heads = new RecentMap(cachedStreamHeads)
  }

  /** How many stream heads the writer holds (bounded by `cachedStreamHeads`). */
  get cachedHeads(): number {
    return this.heads.size
  }

  knows(stream: string): boolean {
    return this.heads.has(stream)
  }

  /**
   * Seal a commit on the current head. Synchronous when nothing has to be
   * read first (the log head and the stream's head known, no seal waiting
   * for the lock): the usual case in a running process, and then an append
   * costs no promise before its publish. Otherwise it takes the seal lock,
   * and the caller must `unlock()` once its publish is queued, so no
   * synchronous seal can slip in between and publish out of order.
   */
  seal(p: PreparedAppend, fetched: StreamHead | undefined, msgId: string): Sealed | Promise<Sealed> {
    if (this.locked === 0 && this.head !== undefined) {
      const cached = this.heads.get(p.stream)
      const known = cached ?? fetched
      // A mismatch against the cache is re-read under the lock (below).
      if (known !== undefined && !(known === cached && mismatch(p, known))) return this.sealOn(this.head, known, p, msgId)
    }
    this.locked++
    const run = this.sealing.then(async () => {
      const head = (this.head ??= await this.reader.loadHead())
      const cached = this.heads.get(p.stream)
      let streamHead = cached ?? fetched ?? (await this.reader.loadStreamHead(p.stream))
      // The cache only knows this process's writes; another process may have
      // moved the stream since, so a mismatch against the cache is re-checked
      // against the store before it becomes the caller's error.
      if (streamHead === cached && mismatch(p, streamHead)) streamHead = await this.reader.loadStreamHead(p.stream)
      return this.sealOn(head, streamHead, p, msgId)
    })
    this.sealing = run.catch(() => undefined)
    return run
  }

  /** A seal that took the lock has queued its publish (or failed). */
  unlock(): void {
    this.locked--
  }

  private sealOn(head: Head, streamHead: StreamHead, p: PreparedAppend, msgId: string): Sealed {
    const generation = this.generation
    // A mismatch is not reported here: the command may be a retry of one
    // already stored, and only the server knows (it checks msgID duplicates
    // before expectations). The commit is published as is and can only come
    // back as a duplicate or a wrong-last-sequence error; it must not move
    // our optimistic view.
    const doomed = mismatch(p, streamHead)
    const sealed = sealCommit({
      tip: head,
      stream: p.stream,
      firstStreamPosition: streamHead.revision === undefined ? 0 : streamHead.revision + 1,
      events: p.events,
      metadata: p.metadata,
      recordedAt: this.now().toISOString(),
      canonical: p.canonical
    })
    const events = sealedToRecorded(sealed.events, p.decoded)
    if (!doomed) {
      this.head = { ...sealed.tip, msgId, optimistic: true }
      this.heads.set(p.stream, { revision: events[events.length - 1]!.streamPosition, subjectSeq: sealed.tip.globalPosition })
    }
    return {
      payload: commitTextBytes(sealed.json),
      tip: sealed.tip,
      expectedLastSeq: head.globalPosition,
      expectedLastMsgId: head.optimistic ? head.msgId : undefined,
      // A doomed commit carries an expectation the server cannot satisfy.
      expectedSubjectSeq: doomed ? (p.expectedRevision === "no_stream" ? 0 : Number.MAX_SAFE_INTEGER) : streamHead.subjectSeq,
      events,
      generation: doomed ? -1 : generation
    }
  }

  /** The server stored the commit at `seq`: if nothing was sealed on top meanwhile, the head is now confirmed. */
  confirm(seq: number, msgId: string): void {
    if (this.head && this.head.globalPosition === seq && this.head.msgId === msgId) this.head = { ...this.head, optimistic: false }
  }

  /** A commit sealed on `generation` did not land as sealed: discard the view it was sealed on. */
  forget(stream: string, generation: number): void {
    // Only the first failure of a generation resets: later failures of commits
    // sealed on the same (now discarded) view must not wipe a fresher one.
    if (generation === this.generation) {
      this.generation++
      this.head = undefined
      this.heads.clear()
    } else {
      this.heads.delete(stream)
    }
  }
}
