import { Schema } from "effect"
import { DomainEvent } from "./events"
import { Address, Hash32, Instant, NonNegativeInt, PositiveInt, SignatureHex } from "./primitives"

/** Who caused an event and why; kept with the event so the audit can re-verify. */
export const EventMetadata = Schema.Struct({
  commandId: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  correlationId: Schema.optional(Schema.String),
  causationId: Schema.optional(Schema.String),
  /** Address of the signed identity that issued the command, when there is one. */
  actor: Schema.optional(Address),
  /** 65-byte r‖s‖v secp256k1 signature over the command's canonical JSON. */
  signature: Schema.optional(SignatureHex),
  /**
   * The signed command as received (type, client id, time, payload), so an
   * auditor can recompute the digest and re-verify `signature` against `actor`.
   */
  command: Schema.optional(
    Schema.Struct({
      type: Schema.String,
      id: Schema.String,
      issuedAt: Schema.String,
      payload: Schema.Unknown,
      /** How it was signed (absent: the first, raw-digest scheme) and for which chain id. */
      scheme: Schema.optional(Schema.String),
      chainId: Schema.optional(Schema.Number)
    })
  )
})
export type EventMetadata = typeof EventMetadata.Type

/**
 * The envelope every stored event carries. `globalPosition` is the position of
 * the commit (one append = one commit, atomic) in the whole log, dense from 1;
 * `indexInCommit` orders events inside it. `hash` is keccak256 over the
 * canonical JSON of the encoded envelope without `hash`, and `prevHash` is the
 * hash of the event before it in global order: the log is one hash chain.
 */
export const RecordedEvent = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  stream: Schema.String,
  streamPosition: NonNegativeInt,
  globalPosition: PositiveInt,
  indexInCommit: NonNegativeInt,
  /** How many events the commit holds: readers know when a commit is complete. */
  commitSize: PositiveInt,
  recordedAt: Instant,
  data: DomainEvent,
  metadata: EventMetadata,
  prevHash: Hash32,
  hash: Hash32
})
export type RecordedEvent = typeof RecordedEvent.Type
export type EncodedRecordedEvent = typeof RecordedEvent.Encoded

/** What one stored message holds: the events of one command, in order. */
export const Commit = Schema.Struct({
  events: Schema.NonEmptyArray(RecordedEvent)
})
export type EncodedCommit = typeof Commit.Encoded

/** Hash before the first event of the log. */
export const GENESIS_HASH = `0x${"00".repeat(32)}` as Hash32
