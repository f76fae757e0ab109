import { Schema } from "effect"
import { RecordedEvent } from "../domain/recordedEvent"

/**
 * The shapes the API answers with, as Effect Schemas: the OpenAPI document is
 * generated from them (commands/openapi.ts), and a test checks every observed
 * answer against that document.
 */
const Int = Schema.Number.pipe(Schema.check(Schema.isInt()))

/** RFC 9457 problem details; the error's own facts ride along as further members. */
export const Problem = Schema.StructWithRest(
  Schema.Struct({
    type: Schema.String,
    title: Schema.String,
    status: Int,
    code: Schema.String.annotate({ description: "stable machine-readable error code (the error's _tag)" }),
    detail: Schema.optional(Schema.String)
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)

const CommandResult = Schema.Struct({
  stream: Schema.String,
  globalPosition: Int,
  nextExpectedRevision: Int,
  duplicate: Schema.Boolean,
  events: Schema.Array(RecordedEvent)
})

export const CommandAccepted = Schema.Struct({
  commandId: Schema.String,
  type: Schema.String,
  duplicate: Schema.Boolean.annotate({ description: "true: this command id was handled before; nothing was appended" }),
  globalPosition: Int.annotate({ description: "read models at or past this position reflect the command (?minPosition=)" }),
  results: Schema.Array(CommandResult)
})

export const EventsPage = Schema.Struct({
  events: Schema.Array(RecordedEvent),
  next: Schema.String.annotate({ description: "cursor <position>.<index> for the next page (pass as ?from=)" })
})

export const Health = Schema.Struct({ ok: Schema.Boolean, headPosition: Int })
export const Alive = Schema.Struct({ ok: Schema.Boolean })
export const Ready = Schema.Struct({ ready: Schema.Boolean, headPosition: Int, projectedPosition: Int })

const ForeignMessage = Schema.Struct({ globalPosition: Int, stream: Schema.String, reason: Schema.String })

export const ChainVerification = Schema.Struct({
  ok: Schema.Boolean,
  verified: Int,
  tip: Schema.optional(Schema.Struct({ globalPosition: Int, hash: Schema.String })),
  break: Schema.optional(Schema.Struct({ globalPosition: Int, indexInCommit: Int, eventId: Schema.String, reason: Schema.String })),
  foreignMessages: Schema.Array(ForeignMessage)
})

export const AuditReport = Schema.Struct({
  ok: Schema.Boolean,
  events: Int,
  commits: Int,
  signaturesVerified: Int,
  unsignedCommits: Int,
  rebuiltPosition: Int,
  comparedWithLiveAt: Schema.optional(Int),
  problems: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)),
  foreignMessages: Schema.Array(ForeignMessage)
})

export const SigningInfo = Schema.Struct({
  scheme: Schema.String,
  domain: Schema.Struct({ name: Schema.String, version: Schema.String, chainId: Int }),
  message: Schema.String,
  digest: Schema.String,
  signature: Schema.String
})

export const WeightsStored = Schema.Struct({ name: Schema.String, hash: Schema.String, bytes: Int, stored: Schema.Boolean })
export const Rebuilt = Schema.Struct({ rebuilt: Schema.Boolean, position: Int })

/** A read-model answer: the position it reflects plus the named document(s). */
export const ReadModelAnswer = (fields: Record<string, Schema.Top>) =>
  Schema.Struct({ position: Int.annotate({ description: "global position the answer reflects" }), ...fields })
export const ReadModelDoc = Schema.Record(Schema.String, Schema.Unknown)
