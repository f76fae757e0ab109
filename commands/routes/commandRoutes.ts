import { Exit, Schema, Cause } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { RecordedEvent } from "../../domain/recordedEvent"
import type { Address } from "../../domain/primitives"
import type { CommandContext, CommandSpec } from "../commandSpec"
import type { CommandOutcome } from "../handleCommand"
import { runForRequest, type ApiRuntime } from "../runtime"
import { decodeSignedCommand, requireSignature, type SigningRules } from "../signedCommand"
import { InvalidRequest } from "../apiErrors"
import { SIGNING_SCHEME } from "../../infra/identity/signature"

export interface CommandRouteOptions extends SigningRules {
  readonly runtime: ApiRuntime
  readonly specs: ReadonlyArray<CommandSpec<any>>
  readonly coordinators: ReadonlySet<string>
  readonly bridges: ReadonlySet<string>
  readonly anchorAt: CommandContext["anchorAt"]
  readonly convertArtefact: CommandContext["convertArtefact"]
  readonly protocol: CommandContext["protocol"]
  readonly settlement: CommandContext["settlement"]
}

// Unknown fields are errors, not silently dropped: a typo in a field name
// must not turn into "field missing" somewhere else or, worse, a default.
const strict = { errors: "all", onExcessProperty: "error" } as const
const encodeRecorded = Schema.encodeSync(RecordedEvent)
const issues = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) return ""
  const e = Cause.squash(exit.cause)
  return e instanceof Error ? e.message : String(e)
}

export const presentOutcome = (o: CommandOutcome) => ({
  stream: o.stream,
  globalPosition: o.globalPosition,
  nextExpectedRevision: o.nextExpectedRevision,
  duplicate: o.duplicate,
  events: o.events.map((e) => encodeRecorded(e))
})

/**
 * `POST /commands/<Type>` for each spec. The body is a SignedCommand; the
 * signature is checked before the payload is even decoded, and the payload
 * is decoded with the command's own schema (the same one OpenAPI shows).
 * 201 when events were appended, 200 (`Idempotent-Replayed: true`) when the
 * command id had been handled before.
 */
export const commandRoutes: FastifyPluginAsync<CommandRouteOptions> = async (app, options) => {
  for (const spec of options.specs) {
    const decodePayload = Schema.decodeUnknownExit(spec.payload, strict)
    app.post(`/commands/${spec.type}`, async (request, reply) => {
      const envelopeExit = decodeSignedCommand(request.body)
      if (Exit.isFailure(envelopeExit)) throw new InvalidRequest({ detail: `signed command envelope: ${issues(envelopeExit)}` })
      const envelope = envelopeExit.value
      const idempotencyKey = request.headers["idempotency-key"]
      if (idempotencyKey !== undefined && idempotencyKey !== envelope.commandId) {
        throw new InvalidRequest({ detail: "Idempotency-Key must equal the signed commandId" })
      }
      const verified = await requireSignature(spec.type, envelope, options)
      const payloadExit = decodePayload(envelope.payload)
      if (Exit.isFailure(payloadExit)) throw new InvalidRequest({ detail: `${spec.type} payload: ${issues(payloadExit)}` })

      const context: CommandContext = {
        actor: verified.actor,
        at: verified.at.toISOString(),
        actorIsCoordinator: options.coordinators.has(verified.actor),
        actorIsBridge: options.bridges.has(verified.actor),
        anchorAt: options.anchorAt,
        convertArtefact: options.convertArtefact,
        protocol: options.protocol,
        settlement: options.settlement,
        metadata: {
          // Namespaced by signer: one identity can never collide with (or
          // pre-empt) another's command ids.
          commandId: `${verified.actor}:${envelope.commandId}`,
          actor: verified.actor as Address,
          signature: envelope.signature,
          command: {
            type: spec.type,
            id: envelope.commandId,
            issuedAt: envelope.issuedAt,
            payload: envelope.payload,
            scheme: SIGNING_SCHEME,
            chainId: options.domain.chainId
          }
        }
      }
      const handled = await runForRequest(options.runtime, spec.handle(payloadExit.value, context))
      const outcomes = Array.isArray(handled) ? (handled as ReadonlyArray<CommandOutcome>) : [handled as CommandOutcome]
      const duplicate = outcomes.every((o) => o.duplicate)
      reply.status(duplicate ? 200 : 201)
      if (duplicate) reply.header("Idempotent-Replayed", "true")
      return {
        commandId: envelope.commandId,
        type: spec.type,
        duplicate,
        globalPosition: Math.max(...outcomes.map((o) => o.globalPosition)),
        results: outcomes.map(presentOutcome)
      }
    })
  }
}
