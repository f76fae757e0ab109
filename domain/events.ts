import { Schema } from "effect"
import { DatasetRegistered } from "./dataset/events"
import { BudgetEscrowed } from "./ledger/events"
import { NodeRegistered } from "./node/events"

/**
 * The event catalogue: every event type the log may hold. The event store
 * refuses anything that does not decode/encode through this union, so an
 * unknown `_tag` or a malformed payload never reaches storage. `_tag` is the
 * stored event type.
 */
export const DomainEvent = Schema.Union([NodeRegistered, DatasetRegistered, BudgetEscrowed])
export type DomainEvent = typeof DomainEvent.Type
export type DomainEventType = DomainEvent["_tag"]

/** Every stored event type, for error messages and documentation. */
export const domainEventTypes: ReadonlySet<string> = new Set(
  DomainEvent.members.map((member) => member.fields._tag.schema.literal)
)
