import { Schema } from "effect"
import { RecordedEvent } from "../domain/recordedEvent"
import { statusByTag } from "./httpErrors"
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "./jsonBody"

/** Building blocks of the OpenAPI document: JSON Schema from Effect Schemas, problem responses by status. */
export type Json = Record<string, unknown>

export const RECORDED_EVENT_REF = { $ref: "#/components/schemas/RecordedEvent" }
export const recordedEventJson = JSON.stringify(Schema.toJsonSchemaDocument(RecordedEvent).schema)

/** Requests are decoded strictly: extra members are refused, so the document says so. */
const close = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(close)
  if (!node || typeof node !== "object") return node
  const o = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, close(v)]))
  if (o.type === "object" && "properties" in o && o.additionalProperties === true) o.additionalProperties = false
  return o
}

/** Replace every inlined RecordedEvent with a reference to the one component. */
const withRefs = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withRefs)
  if (!node || typeof node !== "object") return node
  if (JSON.stringify(node) === recordedEventJson) return RECORDED_EVENT_REF
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withRefs(v)]))
}

export const jsonSchema = (schema: Schema.Top, options: { closed?: boolean } = {}): Json => {
  const doc = Schema.toJsonSchemaDocument(schema)
  const body = Object.keys(doc.definitions ?? {}).length > 0 ? { ...doc.schema, $defs: doc.definitions } : doc.schema
  return withRefs(options.closed ? close(body) : body) as Json
}

/** Error codes by HTTP status, from the one table. */
const codesByStatus = new Map<number, Array<string>>()
for (const [code, status] of Object.entries(statusByTag)) codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code])
codesByStatus.set(500, [...(codesByStatus.get(500) ?? []), "Internal"])

const problemResponse = (status: number, description: string, only?: ReadonlyArray<string>) => {
  const codes = only ?? codesByStatus.get(status) ?? []
  return {
    description: `${description}${codes.length ? ` — codes: ${codes.join(", ")}` : ""}`,
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } }
  }
}

/** The problem responses a route can answer, by status. */
export const problems = (statuses: ReadonlyArray<number>, only: Partial<Record<number, ReadonlyArray<string>>> = {}) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      problemResponse(
        status,
        {
          400: "invalid request or domain input",
          401: "the signature does not prove the signer",
          402: "not backed on chain: deposit into the escrow account first (NotDeposited: account, needed, deposited)",
          403: "the signer may not do this",
          404: "not found",
          409: "conflicts with the current state; ConcurrencyRetriesExhausted appended nothing: send the same signed body again after a pause",
          413: `too large (request bodies: ${MAX_BODY_BYTES} bytes; JSON depth: ${MAX_JSON_DEPTH})`,
          429: "rate-limited: retry after Retry-After seconds",
          500: "internal error (a defect)",
          503: "unavailable: retry later"
        }[status] ?? "error",
        only[status]
      )
    ])
  )

export const jsonResponse = (description: string, schema: Schema.Top) => ({ description, content: { "application/json": { schema: jsonSchema(schema) } } })

