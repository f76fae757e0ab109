import { Schema } from "effect"
import { jsonResponse, jsonSchema, problems } from "./openapiParts"
import { NeuraModelManifest, TensorSpec } from "../domain/model/manifest"
import { WeightsStored } from "./responses"
import { MAX_WEIGHTS_BYTES } from "./routes/weights"
import { EpisodeRequest, GenerateRequest } from "./routes/workloads"
import { ScoringAnswer } from "./routes/scorings"

/** OpenAPI entries for workloads, dataset shards and generation (routes/workloads.ts, routes/weights.ts). */
const p = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } })
const signedHeaders = ["neura-signer", "neura-issued-at", "neura-signature"].map((h) => ({ name: h, in: "header", required: true, schema: { type: "string" } }))
const octets = { type: "string", contentMediaType: "application/octet-stream" }

const S = Schema.String
const N = Schema.Number
const WorkloadInfo = Schema.Struct({
  id: S,
  title: S,
  family: S,
  data: Schema.Struct({ format: S, source: S, licence: S }),
  metrics: Schema.Array(Schema.Struct({ name: S, direction: S, description: S })),
  primaryMetric: S,
  exampleTopology: Schema.Record(S, Schema.Unknown),
  io: Schema.optional(Schema.Struct({ inputs: Schema.Array(TensorSpec), outputs: Schema.Array(TensorSpec), preprocessing: S, postprocessing: S })),
  generates: Schema.Boolean,
  runsEpisodes: Schema.Boolean
})
const Generated = Schema.Struct({ modelId: S, version: N, workload: S, prompt: S, text: S, seed: N, temperature: N })
const Observation = Schema.Struct({
  radius: N,
  shelves: Schema.Array(Schema.Tuple([N, N])),
  package: Schema.optional(Schema.Tuple([N, N])),
  dropOff: Schema.optional(Schema.Tuple([N, N])),
  carrying: Schema.Boolean,
  message: S
})
const Episode = Schema.Struct({
  modelId: S,
  version: N,
  workload: S,
  episode: Schema.Struct({
    seed: N,
    success: Schema.Boolean,
    return: N,
    turns: N,
    start: Observation,
    transcript: Schema.Array(Schema.Struct({ turn: N, call: Schema.Struct({ tool: S, direction: Schema.optional(S) }), observation: Observation, reward: N }))
  })
})

export const workloadPaths = {
  "/scorings/{scoringId}": {
    get: {
      operationId: "getScoring",
      summary: "A scoring by consensus (RequestScoring; id <modelId>-v<version>-<datasetId>): its status and every event of its stream — request, draw (seed, candidates, judges), commitments, reveals, outcome and fees",
      tags: ["models"],
      parameters: [p("scoringId")],
      responses: { "200": jsonResponse("the scoring", ScoringAnswer), ...problems([400, 404, 500, 503]) }
    }
  },
  "/workloads": {
    get: {
      operationId: "listWorkloads",
      summary: "The workloads this network trains: data format, source and licence, metrics (name, direction), an example topology",
      tags: ["workloads"],
      parameters: [],
      responses: { "200": jsonResponse("the registry", Schema.Struct({ workloads: Schema.Array(WorkloadInfo) })), ...problems([500]) }
    }
  },
  "/datasets/shards/{name}": {
    put: {
      operationId: "uploadShard",
      summary: `Store a dataset shard under sha256-<hex of its SHA-256> in the datasets bucket (application/octet-stream, at most ${MAX_WEIGHTS_BYTES} bytes, in the workload's data format); never overwrites. Signed like a command (type UploadShard, commandId = name, payload { name, bytes }) in the headers neura-signer, neura-issued-at, neura-signature. Then name the hash in RegisterDataset or SubmitData`,
      tags: ["datasets"],
      parameters: [p("name"), ...signedHeaders],
      requestBody: { required: true, content: { "application/octet-stream": { schema: octets } } },
      responses: {
        "201": jsonResponse("stored", WeightsStored),
        "200": jsonResponse("already stored (same name, hence same bytes)", WeightsStored),
        ...problems([400, 401, 413, 500, 503])
      }
    },
    get: {
      operationId: "getShard",
      summary: "A dataset shard by content address (what trainers and validators fetch and check)",
      tags: ["datasets"],
      parameters: [p("name")],
      responses: { "200": { description: "the bytes (their SHA-256 is the name)", content: { "application/octet-stream": { schema: octets } } }, ...problems([400, 404, 500, 503]) }
    }
  },
  "/models/{modelId}/versions/{version}/weights": {
    get: {
      operationId: "getVersionWeights",
      summary: "A version's weights hash with the address to fetch them by (GET /weights/sha256-<hex>: the bytes whose SHA-256 is the hash) and the topology they belong to",
      tags: ["models"],
      parameters: [p("modelId"), p("version")],
      responses: {
        "200": jsonResponse("the version's weights, content-addressed", Schema.Struct({ modelId: S, version: N, weightsHash: S, weights: S, topologyHash: S, topology: Schema.Unknown })),
        ...problems([400, 404, 500, 503])
      }
    }
  },
  "/models/{modelId}/versions/{version}/export": {
    get: {
      operationId: "exportModel",
      summary:
        "A model version as TF.js Layers artifacts (model topology, weight specs, weights as base64), built by its workload from the weights the log recorded (custom transformer layers are named Neura*); ?format=onnx answers an ONNX model (opset 13, input 'input', output 'output', images NHWC as in TF.js) for every workload's models (Dense, Conv2D, MaxPooling2D, Flatten, Reshape, Add, pooling, and the network's attention, positions, layer-norm and CLIP layers; several inputs are named by their input layer), 400 ExportUnsupported for a layer without a writer",
      tags: ["models"],
      parameters: [p("modelId"), p("version"), { name: "format", in: "query", required: false, schema: { type: "string", enum: ["tfjs", "onnx", "manifest"] } }],
      responses: {
        "200": {
          description: "the artifacts (JSON), with ?format=onnx the ONNX model's bytes, with ?format=manifest its neura-model.json (what ImportModel takes back)",
          content: {
            "application/json": {
              schema: {
                oneOf: [
                  jsonSchema(Schema.Struct({ modelId: S, version: N, workload: S, weightsHash: S, format: S, modelTopology: Schema.Unknown, weightSpecs: Schema.Unknown, weightData: S })),
                  jsonSchema(NeuraModelManifest)
                ]
              }
            },
            "application/octet-stream": { schema: octets }
          }
        },
        ...problems([400, 404, 500, 503])
      }
    }
  },
  "/models/{modelId}/versions/{version}/generate": {
    post: {
      operationId: "generate",
      summary: "Continue a prompt with a published version of a generative model (e.g. the moby-chars workload); the same request (seed, temperature) gives the same text",
      tags: ["models"],
      parameters: [p("modelId"), p("version")],
      requestBody: { required: true, content: { "application/json": { schema: jsonSchema(GenerateRequest, { closed: true }) } } },
      responses: { "200": jsonResponse("the continuation", Generated), ...problems([400, 404, 409, 500, 503]) }
    }
  },
  "/models/{modelId}/versions/{version}/episodes": {
    post: {
      operationId: "runEpisode",
      summary:
        "Run a published agent (e.g. the warehouse-agent workload) in the environment of a seed: the whole multi-round transcript of tool calls (look, move {direction}, pick, use), what each returned (cells relative to the agent: dx east, dy south) and its reward; the same seed gives the same episode",
      tags: ["models"],
      parameters: [p("modelId"), p("version")],
      requestBody: { required: true, content: { "application/json": { schema: jsonSchema(EpisodeRequest, { closed: true }) } } },
      responses: { "200": jsonResponse("the episode", Episode), ...problems([400, 404, 409, 500, 503]) }
    }
  }
}
