import { Schema } from "effect"
import type { CommandSpec } from "./commandSpec"
import { SignedCommand as SignedCommandForDocs } from "./signedCommand"

/**
 * The OpenAPI 3.1 document, generated from the same Effect Schemas the API
 * decodes with (payloads) — nothing here is hand-written JSON Schema.
 */
const jsonSchema = (schema: Schema.Top) => {
  const doc = Schema.toJsonSchemaDocument(schema)
  return Object.keys(doc.definitions ?? {}).length > 0 ? { ...doc.schema, $defs: doc.definitions } : doc.schema
}

const problem = {
  type: "object",
  required: ["type", "title", "status", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    code: { type: "string", description: "stable machine-readable error code (the error's _tag)" },
    detail: { type: "string" }
  }
}

const errorResponses = {
  "400": { description: "invalid body or payload (InvalidRequest) or invalid domain input", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
  "401": { description: "InvalidSignature / SignatureExpired", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
  "403": { description: "the signer may not do this", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
  "404": { description: "unknown task, node, model, dataset, …", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
  "409": { description: "conflict or wrong state", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } }
}

export const openApiDocument = (specs: ReadonlyArray<CommandSpec<any>>, extraPaths: Record<string, unknown> = {}) => ({
  openapi: "3.1.0",
  info: {
    title: "NeuraLink Simulation Engine API",
    version: "0.1.0",
    description:
      "Commands are POSTed as signed envelopes: secp256k1 (r‖s‖v) over keccak256(canonicalJSON({type, commandId, issuedAt, signer, payload})). " +
      "Money is a decimal string of integer Neura base units."
  },
  paths: {
    ...Object.fromEntries(
      specs.map((spec) => [
        `/commands/${spec.type}`,
        {
          post: {
            operationId: spec.type,
            summary: spec.summary,
            tags: [spec.aggregate],
            parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" }, description: "if sent, must equal commandId" }],
            requestBody: {
              required: true,
              content: {
                "application/json": {
                  schema: {
                    ...(jsonSchema(SignedCommandForDocs) as object),
                    properties: { ...(jsonSchema(SignedCommandForDocs) as { properties: object }).properties, payload: jsonSchema(spec.payload) }
                  }
                }
              }
            },
            responses: {
              "201": { description: "events appended", content: { "application/json": { schema: { $ref: "#/components/schemas/CommandAccepted" } } } },
              "200": { description: "already handled (idempotent replay): nothing appended", content: { "application/json": { schema: { $ref: "#/components/schemas/CommandAccepted" } } } },
              ...errorResponses
            }
          }
        }
      ])
    ),
    ...extraPaths
  },
  components: {
    schemas: {
      Problem: problem,
      CommandAccepted: {
        type: "object",
        properties: {
          commandId: { type: "string" },
          type: { type: "string" },
          duplicate: { type: "boolean" },
          globalPosition: { type: "integer", description: "read models at or past this position reflect the command" },
          results: { type: "array", items: { type: "object" } }
        }
      }
    }
  }
})
