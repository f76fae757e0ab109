import { Exit } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { Projector } from "../../projections/projector"
import { InvalidRequest, NotAdmin } from "../apiErrors"
import { decodeSignedCommand, requireSignature, type SigningRules } from "../signedCommand"

export interface AdminRouteOptions extends SigningRules {
  readonly projector: () => Projector
  /** Addresses allowed to administer the API (ADMIN_ADDRESSES). */
  readonly admins: ReadonlySet<string>
  /** Per-route rate limit (the rebuild replays the whole log). */
  readonly rateLimit: { readonly max: number; readonly timeWindow: number }
}

/**
 * `POST /admin/projections/rebuild`: rebuild every read model from the log.
 * The body is a signed command (type `RebuildProjections`, payload `{}`) by
 * an admin identity. Single-flight: a call during a rebuild joins it and gets
 * the same answer. The read models keep serving until the rebuilt ones have
 * caught up (projections/projector.ts).
 */
export const adminRoutes: FastifyPluginAsync<AdminRouteOptions> = async (app, options) => {
  app.post("/admin/projections/rebuild", { config: { rateLimit: options.rateLimit } }, async (request) => {
    const envelope = decodeSignedCommand(request.body)
    if (Exit.isFailure(envelope)) throw new InvalidRequest({ detail: "the body must be a signed RebuildProjections command (payload {})" })
    const verified = await requireSignature("RebuildProjections", envelope.value, options)
    if (!options.admins.has(verified.actor)) throw new NotAdmin({ signer: verified.actor })
    const position = await options.projector().rebuild()
    return { rebuilt: true, position }
  })
}
