import { Schema } from "effect"
import { AnchorEvent } from "./anchor/events"
import { DatasetEvent } from "./dataset/events"
import { EscrowEvent } from "./escrow/events"
import { ModelCatalogEvent, ModelEvent } from "./model/events"
import { NodeEvent } from "./node/events"
import { ScoringEvent } from "./scoring/events"
import { TaskEvent } from "./task/events"

/**
 * The event catalogue: every event type the log may hold. The event store
 * refuses anything that does not encode through this union, so an unknown
 * `_tag` or a malformed payload never reaches storage. `_tag` is the stored
 * event type.
 */
export const DomainEvent = Schema.Union([
  ...NodeEvent.members,
  ...DatasetEvent.members,
  ...TaskEvent.members,
  ...ModelEvent.members,
  ...ModelCatalogEvent.members,
  ...AnchorEvent.members,
  ...ScoringEvent.members,
  ...EscrowEvent.members
])
export type DomainEvent = typeof DomainEvent.Type
export type DomainEventType = DomainEvent["_tag"]

/** Every stored event type, for error messages and documentation. */
export const domainEventTypes: ReadonlySet<string> = new Set(
  DomainEvent.members.map((member) => member.fields._tag.schema.literal)
)
