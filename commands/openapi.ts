import type { CommandSpec } from "./commandSpec"
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "./jsonBody"
import { jsonSchema, problems, recordedEventJson, type Json } from "./openapiParts"
import { queryPaths } from "./queryDocs"
import { workloadPaths } from "./workloadDocs"
import { CommandAccepted, Problem } from "./responses"
import { SignedCommand } from "./signedCommand"

/**
 * The OpenAPI 3.1 document, generated from the same Effect Schemas the API
 * decodes requests with and answers with (commands/responses.ts) — nothing
 * here is hand-written JSON Schema. Every status a route can return is
 * declared, with the error codes it carries (from the one status table).
 * Effect's JSON Schema output does not carry `Schema.check` patterns (they
 * appear as descriptions) nor bigint-as-string semantics: money is a decimal
 * string of integer base units.
 */
const envelope = jsonSchema(SignedCommand, { closed: true }) as { properties: Json }

export const openApiDocument = (specs: ReadonlyArray<CommandSpec<any>>) => ({
  openapi: "3.1.0",
  info: {
    title: "NeuraLink Simulation Engine API",
    version: "0.2.0",
    description:
      "Commands are POSTed as signed envelopes { commandId, issuedAt, signer, payload, signature }. The signature is an Ethereum " +
      "personal_sign (EIP-191, secp256k1 r‖s‖v with v = 27|28 and low s) of the RFC 8785 (JCS) canonical JSON of " +
      "{ domain: { name: 'NeuraLink', version: '1', chainId }, type, commandId, issuedAt, signer, payload }; GET /signing answers the domain. " +
      `Bodies are at most ${MAX_BODY_BYTES} bytes and ${MAX_JSON_DEPTH} levels deep. Money is a decimal string of integer Neura base units. ` +
      "Errors are application/problem+json with a stable `code`."
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
                "application/json": { schema: { ...envelope, properties: { ...envelope.properties, payload: jsonSchema(spec.payload, { closed: true }) } } }
              }
            },
            responses: {
              "201": { description: "events appended", content: { "application/json": { schema: { $ref: "#/components/schemas/CommandAccepted" } } } },
              "200": {
                description: "already handled (idempotent replay, header Idempotent-Replayed: true): nothing appended",
                content: { "application/json": { schema: { $ref: "#/components/schemas/CommandAccepted" } } }
              },
              // 402 NotDeposited: with on-chain settlement, a budget, a stake or a scoring fee needs a recorded deposit.
              ...problems(["CreateTask", "BondStake", "RequestScoring"].includes(spec.type) ? [400, 401, 402, 403, 404, 409, 413, 500, 503] : [400, 401, 403, 404, 409, 413, 500, 503])
            }
          }
        }
      ])
    ),
    ...queryPaths,
    ...workloadPaths
  },
  components: {
    schemas: {
      Problem: jsonSchema(Problem),
      RecordedEvent: JSON.parse(recordedEventJson) as Json,
      CommandAccepted: jsonSchema(CommandAccepted)
    }
  }
})
