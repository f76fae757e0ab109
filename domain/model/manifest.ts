import { Schema } from "effect"
import { Hash32, JsonObject, matching, PositiveInt } from "../primitives"

/**
 * `neura-model.json`: what a model built outside the network says about
 * itself when it is submitted (ImportModel), so any framework can plug in
 * through one interface: which framework wrote the artefact, its inputs and
 * outputs (names, shapes with null for the batch, dtypes), the pre- and
 * post-processing it expects by name, and the workload and metric it claims
 * to serve. The API checks every field against the workload before the model
 * is registered (README "Custom models").
 */
export const TensorSpec = Schema.Struct({
  name: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(100))),
  /** null for a free dimension (the batch). */
  shape: Schema.Array(Schema.NullOr(PositiveInt)).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(8))),
  dtype: Schema.Literals(["float32", "int32", "int64"])
})
export type TensorSpec = typeof TensorSpec.Type

export const ModelFramework = Schema.Literals(["onnx", "tfjs-layers", "keras"])
export type ModelFramework = typeof ModelFramework.Type

const Name = Schema.String.pipe(Schema.check(matching(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { description: "a name like class-probabilities" }), Schema.isMaxLength(64)))

export const NeuraModelManifest = Schema.Struct({
  manifestVersion: Schema.Literal(1),
  /** onnx: an .onnx file; tfjs-layers / keras: a Layers model.json (Keras JSON) with its weights inlined as base64 `weightData`. */
  framework: ModelFramework,
  /** The artefact's file name beside the manifest (for tools; the API addresses it by hash). */
  artefact: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  workload: Name,
  metric: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))),
  inputs: Schema.Array(TensorSpec).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(8))),
  outputs: Schema.Array(TensorSpec).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(8))),
  /** By name, as the workload lists them (GET /workloads `io`). */
  preprocessing: Name,
  postprocessing: Name,
  /** Who made it, in words (e.g. "PyTorch 1.13 via torch.onnx.export"). */
  producer: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(200))))
})
export type NeuraModelManifest = typeof NeuraModelManifest.Type

/**
 * What the API found converting a submitted artefact (the decider's facts):
 * the model in the network's own form (TF.js Layers topology and weights, so
 * it trains, verifies, forks and publishes like any model), or why not.
 */
export const ImportConversion = Schema.Union([
  Schema.TaggedStruct("Converted", { topology: JsonObject, topologyHash: Hash32, weightsHash: Hash32 }),
  /**
   * An ONNX graph onnxruntime runs but the network cannot turn into Layers
   * (convolutions, attention, ...): registered as it is, so it can be scored
   * by consensus, forked and published, but not fine-tuned. Its "topology"
   * is its interface (opaqueTopology) and its weights are the file itself.
   */
  Schema.TaggedStruct("Opaque", { topology: JsonObject, topologyHash: Hash32, weightsHash: Hash32, reason: Schema.String }),
  Schema.TaggedStruct("Refused", { reason: Schema.String })
])
export type ImportConversion = typeof ImportConversion.Type

/** The key an opaque model's topology holds its interface under (never a Layers JSON key). */
const OPAQUE = "neura:onnx-opaque"

export interface OpaqueInterface {
  readonly workload: string
  readonly inputs: ReadonlyArray<TensorSpec>
  readonly outputs: ReadonlyArray<TensorSpec>
  /** Why it stays opaque (what the converter could not read). */
  readonly reason: string
}

/** What an opaque ONNX model registers as its topology: its manifest's interface, not a graph the network builds. */
export const opaqueTopology = (m: NeuraModelManifest, reason: string): Record<string, unknown> => ({
  [OPAQUE]: { workload: m.workload, inputs: m.inputs, outputs: m.outputs, reason } satisfies OpaqueInterface
})

/** The interface of an opaque model's topology, or undefined for a model the network builds. */
export const opaqueOf = (topology: Record<string, unknown>): OpaqueInterface | undefined => topology[OPAQUE] as OpaqueInterface | undefined
