import type { RecordedEvent } from "../domain/recordedEvent"

/**
 * A read model. `evolve` is pure: given read access to the read models as
 * they are before this event, it returns the documents this event changes.
 * Each document keeps the position of the last event applied to it, so
 * applying an event twice changes nothing (idempotent), and the projector
 * keeps one checkpoint: the global position all read models reflect.
 *
 * (STYLE's per-document `evolve(doc | null, event)` is the special case of
 * one document per event; reputation and leaderboards need to read other
 * documents, e.g. a result's votes when its verdict lands.)
 */
export type DocId = string
export interface Positioned {
  /** `<globalPosition>.<indexInCommit>` of the last event applied. */
  readonly position: string
}

export type Read = <D>(projection: string, id: DocId) => D | undefined

export interface Projection<D extends Positioned = Positioned> {
  readonly name: string
  readonly canHandle: ReadonlyArray<string>
  readonly evolve: (read: Read, event: RecordedEvent) => ReadonlyArray<readonly [DocId, D]>
}

export const positionOf = (e: { globalPosition: number; indexInCommit: number }) => `${e.globalPosition}.${e.indexInCommit}`

/** True when `doc` already reflects `event` (or something later). */
export const alreadyApplied = (doc: Positioned | undefined, e: { globalPosition: number; indexInCommit: number }) => {
  if (!doc) return false
  // Read in place: splitting into an array cost every projection an allocation per event.
  const dot = doc.position.indexOf(".")
  const g = Number(doc.position.slice(0, dot))
  return g > e.globalPosition || (g === e.globalPosition && Number(doc.position.slice(dot + 1)) >= e.indexInCommit)
}

/** A read model's amount (a decimal string of base units) plus an event's bigint amount. */
export const plus = (a: string, b: bigint) => (BigInt(a) + b).toString()
