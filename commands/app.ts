import { Effect } from "effect"
import Fastify, { type FastifyInstance } from "fastify"
import rateLimit from "@fastify/rate-limit"
import swagger from "@fastify/swagger"
import swaggerUi from "@fastify/swagger-ui"
import { InvalidRequest, PayloadTooLarge, RateLimited } from "./apiErrors"
import { adminRoutes } from "./routes/admin"
import { problemOf, sendProblem } from "./httpErrors"
import { MAX_BODY_BYTES, parseJsonBody } from "./jsonBody"
import { openApiDocument } from "./openapi"
import { artefactConverter } from "./importFacts"
import { commandRoutes } from "./routes/commandRoutes"
import { allCommands, commandsByAggregate } from "./routes"
import { logRoutes } from "./routes/log"
import { metricsRoutes } from "./routes/metrics"
import { projectionLag } from "../infra/metrics"
import { uiRoutes } from "./routes/ui"
import { proofRoutes } from "./routes/proofs"
import { queryRoutes } from "./routes/queries"
import { streamRoutes } from "./routes/streams"
import { EventStore } from "../domain/ports"
import { startProjector, type Projector } from "../projections/projector"
import type { SnapshotStore } from "../projections/snapshots"
import type { ApiRuntime } from "./runtime"
import { anchorLookup } from "./anchorFacts"
import type { SettlementChain } from "./escrowFacts"
import { settlementRoutes } from "./routes/settlements"
import { shardRoutes, weightsRoutes } from "./routes/weights"
import { workloadRoutes } from "./routes/workloads"
import { scoringRoutes } from "./routes/scorings"
import type { WeightsStoreShape } from "../infra/weights/WeightsStore"
import type { ChainClient } from "../chain-bridge/ChainClient"
import { SIGNING_SCHEME, signingDomain } from "../infra/identity/signature"
import { defaultProtocol, type ProtocolParams } from "../domain/protocol"

export interface ApiOptions {
  /** Request logging (pino JSON): to stdout, or appended to a file (the dev stack's .data/logs/api.jsonl). */
  readonly logger?: boolean | { readonly file: string }
  /** Addresses of the network's coordinator identities (dispatcher / aggregator). */
  readonly coordinators?: ReadonlyArray<string>
  /** Server clock (tests pin it). */
  readonly now?: () => Date
  /** How old (or early) a signed command may be. */
  readonly maxSkewMs?: number
  /** Addresses of the chain bridge identities (may sign RecordAnchor). */
  readonly bridges?: ReadonlyArray<string>
  /** EventAnchor contracts the API can read, to check RecordAnchor against the chain. */
  readonly anchorChains?: ReadonlyArray<Pick<ChainClient, "chainId" | "contract" | "anchors">>
  /** Protocol parameters (stake minimums, checkpoints, commit window, slashing); the defaults otherwise. */
  readonly protocol?: ProtocolParams
  /** The weights bucket (content-addressed, written only through PUT /weights/:name). */
  readonly weights: WeightsStoreShape
  /** The datasets bucket (content-addressed shards, written only through PUT /datasets/shards/:name). */
  readonly shards: WeightsStoreShape
  /** Addresses allowed to administer the API (rebuild read models): ADMIN_ADDRESSES. */
  readonly admins?: ReadonlyArray<string>
  /** Requests per client (IP) and window to each whole-log route (/audit, /events/verify, rebuild). Default 10 a minute. */
  readonly wholeLogRateLimit?: { readonly max: number; readonly timeWindowMs: number }
  /** Chain id of the signing domain (default 31337, the dev chain); clients read it from GET /signing. */
  readonly chainId?: number
  /**
   * On-chain settlement: the escrow contract deposits and settlements are
   * checked against. With it, a task's budget and a node's stake must be
   * deposited there first (402 NotDeposited); without it they are declared.
   */
  readonly settlement?: SettlementChain
  /** Where the read models' checkpoint is kept across restarts (default: rebuilt at start). */
  readonly snapshots?: SnapshotStore
}

/** Longer than any id the domain allows (128) or derives from ids: a longer path segment is refused with 400. */
const MAX_PATH_PARAM_LENGTH = 512

/** Identities as the API compares them (recovered signers are lower-case). */
const addressSet = (addresses: ReadonlyArray<string> = []): ReadonlySet<string> => new Set(addresses.map((a) => a.toLowerCase()))

const routesOf = new WeakMap<FastifyInstance, ReadonlyArray<{ readonly method: string; readonly url: string }>>()
/** Every route the app registered (the OpenAPI test checks each is documented). */
export const registeredRoutes = (app: FastifyInstance) => routesOf.get(app) ?? []
const projectorsOf = new WeakMap<FastifyInstance, () => Projector>()
/** The projector keeping this app's read models (started when the app is ready): what its queries read, and their lag. */
export const readModelsProjector = (app: FastifyInstance): Projector => {
  const projector = projectorsOf.get(app)
  if (!projector) throw new Error("not an app built by build()")
  return projector()
}

/**
 * The HTTP API as a Fastify instance, not yet listening (main.ts listens;
 * tests use app.inject). Every error is problem-details with a `code`.
 */
export const build = (runtime: ApiRuntime, options: ApiOptions): FastifyInstance => {
  const logger = typeof options.logger === "object" ? { level: "info", file: options.logger.file } : (options.logger ?? false)
  const app = Fastify({
    logger,
    bodyLimit: MAX_BODY_BYTES,
    // Ids may be 128 characters (domain/primitives.ts EntityId); the router's
    // default of 100 answered a longer one with its own 414 body, so a task
    // with a 120-character id could be created but never read.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // The router's own refusals (a malformed or overlong URL) in the API's problem format.
    frameworkErrors: (error, _request, reply) =>
      void sendProblem(
        reply,
        problemOf(new InvalidRequest({ detail: error.code === "FST_ERR_MAX_PARAM_LENGTH" ? `a path segment is longer than ${MAX_PATH_PARAM_LENGTH} characters` : "the URL is not valid" }))
      )
  })
  const routes: Array<{ readonly method: string; readonly url: string }> = []
  routesOf.set(app, routes)
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url })
  })
  app.removeContentTypeParser("application/json")
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string))
    } catch (e) {
      // A tagged error keeps its code; malformed JSON is a plain 400.
      done(typeof e === "object" && e !== null && "_tag" in e ? (e as unknown as Error) : new InvalidRequest({ detail: `malformed JSON: ${(e as Error).message}` }), undefined)
    }
  })
  app.setErrorHandler((error, _request, reply) => {
    const fastifyError = error as { validation?: unknown; statusCode?: number; message: string; code?: string }
    if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return sendProblem(reply, problemOf(new PayloadTooLarge({ limitBytes: MAX_BODY_BYTES, detail: `request bodies are limited to ${MAX_BODY_BYTES} bytes` })))
    }
    // Fastify's own parsing errors (wrong content type, …) carry a 4xx status.
    const tagged = typeof error === "object" && error !== null && "_tag" in error
    if (!tagged && (fastifyError.validation || (fastifyError.statusCode && fastifyError.statusCode < 500))) {
      return sendProblem(reply, {
        type: "urn:neuralink:error:InvalidRequest",
        title: "Invalid Request",
        status: fastifyError.statusCode ?? 400,
        code: "InvalidRequest",
        detail: fastifyError.message
      })
    }
    const problem = problemOf(error)
    if (problem.status >= 500) reply.log.error({ err: error }, "request failed")
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { type: "urn:neuralink:error:NotFound", title: "Not Found", status: 404, code: "NotFound", detail: `${request.method} ${request.url}` })
  )

  const shared = {
    runtime,
    coordinators: addressSet(options.coordinators),
    bridges: addressSet(options.bridges),
    anchorAt: anchorLookup(options.anchorChains ?? []),
    convertArtefact: artefactConverter(options.weights),
    protocol: options.protocol ?? defaultProtocol,
    settlement: options.settlement,
    now: options.now ?? (() => new Date()),
    maxSkewMs: options.maxSkewMs ?? 5 * 60 * 1000,
    domain: signingDomain(options.chainId)
  }
  app.get("/signing", async () => ({
    scheme: SIGNING_SCHEME,
    domain: shared.domain,
    message: "RFC 8785 (JCS) canonical JSON of { domain, type, commandId, issuedAt, signer, payload }",
    digest: "EIP-191 personal_sign: keccak256(\"\\x19Ethereum Signed Message:\\n\" + utf8 byte length + message)",
    signature: "0x r(32) ‖ s(32, low: s ≤ n/2) ‖ v(1: 27 or 28)"
  }))
  metricsRoutes(app)
  uiRoutes(app)
  // One plugin per aggregate, each registering its commands' routes.
  for (const specs of Object.values(commandsByAggregate)) app.register(commandRoutes, { ...shared, specs })
  app.register(weightsRoutes, { ...shared, weights: options.weights })
  app.register(shardRoutes, { ...shared, shards: options.shards })
  app.register(workloadRoutes, { ...shared, weights: options.weights })
  app.register(scoringRoutes, { runtime })
  app.register(settlementRoutes, { runtime, settlement: options.settlement })
  // Whole-log reads replay everything: rate-limited per client, answered 429 RateLimited.
  const wholeLog = { max: options.wholeLogRateLimit?.max ?? 10, timeWindow: options.wholeLogRateLimit?.timeWindowMs ?? 60_000 }
  app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new RateLimited({ retryAfterSeconds: Math.ceil(context.ttl / 1000), detail: `at most ${context.max} requests per ${context.after} to this route` })
  })
  app.register(logRoutes, { runtime, wholeLog })
  app.register(proofRoutes, { runtime })

  // Read models: one projector per API process, started when the app is ready.
  let projector: Projector | undefined
  let unregisterLag: (() => void) | undefined
  app.addHook("onReady", async () => {
    const store = await runtime.runPromise(EventStore.useSync((s) => s))
    projector = await startProjector(store, options.snapshots ? { snapshots: options.snapshots } : {})
    const running = projector
    unregisterLag = projectionLag.add("api", async () => Math.max(0, (await Effect.runPromise(store.headPosition)) - running.models.checkpoint))
  })
  app.addHook("onClose", async () => {
    unregisterLag?.()
    await projector?.stop()
  })
  const currentProjector = () => {
    if (!projector) throw new Error("projector not started")
    return projector
  }
  projectorsOf.set(app, currentProjector)
  app.register(queryRoutes, { runtime, projector: currentProjector, wholeLog })
  app.register(adminRoutes, { ...shared, projector: currentProjector, admins: addressSet(options.admins), rateLimit: wholeLog })
  app.register(streamRoutes, { runtime })

  // The document (generated from the Schemas) and Swagger UI over it, its assets served from the package (offline).
  const document = openApiDocument(allCommands)
  app.get("/openapi.json", async () => document)
  app.register(swagger, { mode: "static", specification: { document: document as never } })
  app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true })
  return app
}
