import { Schema } from "effect"
import { Address, DatasetId, Hash32, Instant, NonNegativeInt } from "../primitives"

/** A public dataset is known to the network by the hash of its content. */
export const DatasetRegistered = Schema.TaggedStruct("DatasetRegistered", {
  datasetId: DatasetId,
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  contentHash: Hash32,
  licence: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  sampleCount: NonNegativeInt,
  registeredBy: Address,
  registeredAt: Instant
})

export const DatasetEvent = Schema.Union([DatasetRegistered])
export type DatasetEvent = typeof DatasetEvent.Type
