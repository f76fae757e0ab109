import { Schema } from "effect"

/** Errors of the HTTP edge itself (not of an aggregate). Their statuses are in httpErrors.ts. */

/** Bad HTTP input (body, query, headers). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", { detail: Schema.String }) {}

/** JSON nested deeper than the API accepts (a parser or hasher must never recurse without bound). */
export class JsonTooDeep extends Schema.TaggedError<JsonTooDeep>()("JsonTooDeep", { maxDepth: Schema.Number }) {}

/** The request body is larger than the route accepts. Not retryable as is. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  limitBytes: Schema.Number,
  detail: Schema.String
}) {}

/** Too many requests of this kind from this client; retry after `retryAfterSeconds`. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  retryAfterSeconds: Schema.Number,
  detail: Schema.String
}) {}

/** The signer is not one of the API's admin identities (ADMIN_ADDRESSES). */
export class NotAdmin extends Schema.TaggedError<NotAdmin>()("NotAdmin", { signer: Schema.String }) {}

/** Uploaded bytes do not hash to the name they were uploaded under. */
export class WeightsHashMismatch extends Schema.TaggedError<WeightsHashMismatch>()("WeightsHashMismatch", {
  name: Schema.String,
  actual: Schema.String
}) {}

/** The task names a workload this network does not run (GET /workloads lists them). */
export class UnknownWorkload extends Schema.TaggedError<UnknownWorkload>()("UnknownWorkload", { workload: Schema.String, known: Schema.String }) {}

/** Only a version the DAO published can be served (generation). */
export class ModelVersionNotPublished extends Schema.TaggedError<ModelVersionNotPublished>()("ModelVersionNotPublished", {
  modelId: Schema.String,
  version: Schema.Number
}) {}

/** The model's workload cannot generate (it classifies). */
export class NotGenerative extends Schema.TaggedError<NotGenerative>()("NotGenerative", { modelId: Schema.String, detail: Schema.String }) {}

/** The model's workload is not an agent: it has no episodes to run. */
export class NotAnAgent extends Schema.TaggedError<NotAnAgent>()("NotAnAgent", { modelId: Schema.String, detail: Schema.String }) {}

/** ImportModel names an artefact hash that is not in the weights store (upload it first: PUT /weights/sha256-<hex>). */
export class ArtefactNotFound extends Schema.TaggedError<ArtefactNotFound>()("ArtefactNotFound", { artefactHash: Schema.String }) {}

/** No registered workload builds this model's topology (it was registered for none), so it cannot be served. */
export class NoWorkloadForModel extends Schema.TaggedError<NoWorkloadForModel>()("NoWorkloadForModel", { modelId: Schema.String }) {}

/** The model cannot be written in the asked export format (e.g. ONNX for a layer without an ONNX writer). */
export class ExportUnsupported extends Schema.TaggedError<ExportUnsupported>()("ExportUnsupported", { modelId: Schema.String, detail: Schema.String }) {}
