import { Schema } from "effect"
import { Address, Hash32, Instant, NonNegativeInt, PositiveInt } from "../primitives"

/**
 * A range of the log was anchored on an EVM chain: the Merkle root over its
 * events is stored by EventAnchor. Stream `anchor-<chainId>`; recorded by the
 * API from the bridge's signed `RecordAnchor`, checked against the chain (the
 * bridge has no write access to the log).
 */
export const BatchAnchored = Schema.TaggedStruct("BatchAnchored", {
  chainId: PositiveInt,
  contract: Address,
  /** The anchor's index in the contract. */
  index: NonNegativeInt,
  fromPosition: PositiveInt,
  toPosition: PositiveInt,
  eventCount: PositiveInt,
  root: Hash32,
  txHash: Hash32,
  blockNumber: NonNegativeInt,
  anchoredAt: Instant
})

export const AnchorEvent = Schema.Union([BatchAnchored])
export type AnchorEvent = typeof AnchorEvent.Type
export const anchorStream = (chainId: number) => `anchor-${chainId}`
