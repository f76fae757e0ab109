import { Schema } from "effect"
import { Address, Hash32, Instant, NonNegativeInt, PositiveInt } from "../primitives"
import { BatchAnchored } from "./events"

const { _tag: _event, anchoredAt: _recordedByTheApi, ...anchorFields } = BatchAnchored.fields

/** What the bridge signs: an anchor it sent, as the chain recorded it (BatchAnchored less the time the API records it). */
export const RecordAnchorPayload = Schema.Struct(anchorFields)

/** The anchor the contract holds at that index (read by the API from the chain), or undefined. */
export const OnChainAnchorFacts = Schema.Struct({
  index: NonNegativeInt,
  root: Hash32,
  fromPosition: PositiveInt,
  toPosition: PositiveInt,
  txHash: Hash32,
  blockNumber: NonNegativeInt
})

export class RecordAnchor extends Schema.TaggedClass<RecordAnchor>()("RecordAnchor", {
  ...RecordAnchorPayload.fields,
  onChain: Schema.optional(OnChainAnchorFacts),
  /** The signer is one of the API's configured bridge identities. */
  actorIsBridge: Schema.Boolean,
  actor: Address,
  at: Instant
}) {}

export type AnchorCommand = RecordAnchor
