import type { FastifyPluginAsync } from "fastify"
import { hashOfObjectName, weightsHash, type WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { InvalidRequest, WeightsHashMismatch } from "../apiErrors"
import { requireSignature, type SigningRules } from "../signedCommand"
import { NotFoundInReadModel } from "./queries"

/** Largest weights upload (a model's whole weights; bigger models belong in sharded artefacts). */
export const MAX_WEIGHTS_BYTES = 64 * 1024 * 1024

export interface WeightsRouteOptions extends SigningRules {
  readonly weights: WeightsStoreShape
}

/** A content-addressed bucket served over HTTP: weights, or dataset shards. */
export interface BlobRouteOptions extends SigningRules {
  readonly store: WeightsStoreShape
  /** `/weights` or `/datasets/shards`: objects live at `<path>/sha256-<hex>`. */
  readonly path: string
  /** The signed upload's command type: UploadWeights or UploadShard. */
  readonly uploadType: string
  /** What a 404 calls it. */
  readonly resource: string
}

export const weightsRoutes: FastifyPluginAsync<WeightsRouteOptions> = (app, options) =>
  blobRoutes(app, { ...options, store: options.weights, path: "/weights", uploadType: "UploadWeights", resource: "weights" })

/**
 * Dataset shards, content-addressed like weights in the `datasets` bucket:
 * a data provider uploads a shard's bytes (signed UploadShard), registers
 * the dataset or submits data naming the hash, and trainers and validators
 * fetch exactly the shards of their work and check the hash.
 */
export const shardRoutes: FastifyPluginAsync<SigningRules & { readonly shards: WeightsStoreShape }> = (app, options) =>
  blobRoutes(app, { ...options, store: options.shards, path: "/datasets/shards", uploadType: "UploadShard", resource: "shard" })

/**
 * Content-addressed weights. The API is the only writer of the `weights`
 * bucket (NATS permissions): an upload is stored under `sha256-<hex>` only if
 * its bytes hash to that name, and an existing object is never replaced (its
 * name fixes its content), so no node can delete or overwrite another's
 * weights. Uploads are signed like commands (type `UploadWeights`, command id
 * = the object name, payload `{ name, bytes }`) in three headers:
 * `neura-signer`, `neura-issued-at`, `neura-signature`. Reads are public.
 */
const blobRoutes: FastifyPluginAsync<BlobRouteOptions> = async (app, options) => {
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: MAX_WEIGHTS_BYTES }, (_request, body, done) => done(null, body))

  app.put<{ Params: { name: string } }>(`${options.path}/:name`, { bodyLimit: MAX_WEIGHTS_BYTES }, async (request, reply) => {
    const hash = hashOfObjectName(request.params.name)
    if (!hash) throw new InvalidRequest({ detail: `${options.resource} objects are named sha256-<64 lowercase hex>` })
    if (!(request.body instanceof Uint8Array)) throw new InvalidRequest({ detail: "send the bytes as application/octet-stream" })
    const header = (name: string) => {
      const value = request.headers[name]
      if (typeof value !== "string") throw new InvalidRequest({ detail: `header ${name} is required` })
      return value
    }
    const signer = header("neura-signer").toLowerCase()
    const issuedAt = header("neura-issued-at")
    const signature = header("neura-signature")
    if (!/^0x[0-9a-f]{40}$/.test(signer) || Number.isNaN(Date.parse(issuedAt))) throw new InvalidRequest({ detail: "neura-signer must be an address, neura-issued-at an ISO instant" })
    await requireSignature(
      options.uploadType,
      { commandId: request.params.name, issuedAt, signer: signer as never, payload: { name: request.params.name, bytes: request.body.length }, signature },
      options
    )
    const actual = weightsHash(request.body)
    if (actual !== hash) throw new WeightsHashMismatch({ name: request.params.name, actual })
    const existed = await options.store.has(hash)
    if (!existed) await options.store.put(request.body)
    reply.status(existed ? 200 : 201)
    return { name: request.params.name, hash, bytes: request.body.length, stored: !existed }
  })

  app.get<{ Params: { name: string } }>(`${options.path}/:name`, async (request, reply) => {
    const hash = hashOfObjectName(request.params.name)
    if (!hash) throw new InvalidRequest({ detail: `${options.resource} objects are named sha256-<64 lowercase hex>` })
    if (!(await options.store.has(hash))) throw new NotFoundInReadModel({ resource: options.resource, id: request.params.name })
    const bytes = await options.store.get(hash)
    return reply.type("application/octet-stream").header("etag", `"${request.params.name}"`).send(Buffer.from(bytes))
  })
}
