import type { LayersModel } from "@tensorflow/tfjs"
import { Schema } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { ModelVersionNotFound } from "../../domain/model/errors"
import { NeuraModelManifest, opaqueOf } from "../../domain/model/manifest"
import { ModelId, NonNegativeInt, PositiveInt } from "../../domain/primitives"
import { setWeightBytes } from "../../infra/ml/model"
import { loadTf } from "../../infra/ml/tf"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { workloads } from "../../workloads/registry"
import type { Workload } from "../../workloads/workload"
import { ExportUnsupported, InvalidRequest, ModelVersionNotPublished, NoWorkloadForModel, NotAnAgent, NotGenerative } from "../apiErrors"
import { layersToOnnx, NotOnnxExportable } from "../../workloads/kit/onnx"
import { loadModelState } from "../facts"
import { runForRequest, type ApiRuntime } from "../runtime"
import { findVersion } from "../../domain/model/state"

export const GenerateRequest = Schema.Struct({
  prompt: Schema.String.pipe(Schema.check(Schema.isMaxLength(2_000))),
  maxTokens: PositiveInt.pipe(Schema.check(Schema.isLessThanOrEqualTo(1_000))),
  /** 0: always the most likely token; higher: more varied. */
  temperature: Schema.Number.pipe(Schema.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(5))),
  seed: NonNegativeInt
})
const decodeGenerate = Schema.decodeUnknownExit(GenerateRequest)
export const EpisodeRequest = Schema.Struct({ seed: NonNegativeInt.pipe(Schema.check(Schema.isLessThanOrEqualTo(2 ** 31 - 1))) })
const decodeEpisode = Schema.decodeUnknownExit(EpisodeRequest)
const decodeModelId = Schema.decodeUnknownExit(ModelId)

/** What GET /workloads says about each workload (no code, no TF.js). */
export const describeWorkload = (w: Workload) => ({
  id: w.id,
  title: w.title,
  family: w.family,
  data: w.data,
  metrics: w.metrics,
  primaryMetric: w.primaryMetric,
  exampleTopology: w.exampleTopology,
  /** What a submitted model must take and give (ImportModel's manifest is checked against it); absent: no imports. */
  ...(w.io ? { io: w.io } : {}),
  generates: w.generate !== undefined,
  runsEpisodes: w.episode !== undefined
})

/**
 * The neura-model.json that goes with ?format=onnx (what ImportModel, here or
 * on another network, takes back): the workload's metric and processing
 * around the model's tensors (the workload's own, or an opaque model's).
 */
const manifestFor = (
  modelId: string,
  version: number,
  workload: Workload,
  io: NonNullable<Workload["io"]>,
  tensors: Pick<NeuraModelManifest, "inputs" | "outputs">,
  producer: string
): NeuraModelManifest => ({
  manifestVersion: 1,
  framework: "onnx",
  artefact: `${modelId}-v${version}.onnx`,
  workload: workload.id,
  metric: workload.primaryMetric,
  inputs: tensors.inputs,
  outputs: tensors.outputs,
  preprocessing: io.preprocessing,
  postprocessing: io.postprocessing,
  producer
})

/**
 * The workloads this network runs, exports, and inference from published
 * versions: text from generative models, episodes from agents. The API builds
 * the model with the same workload code the trainers use, from weights whose
 * hash the log recorded; TF.js is loaded on first use, and a few built models
 * are kept.
 */
export const workloadRoutes: FastifyPluginAsync<{ runtime: ApiRuntime; weights: WeightsStoreShape }> = async (app, { runtime, weights }) => {
  app.get("/workloads", async () => ({ workloads: [...workloads.values()].map(describeWorkload) }))

  const built = new Map<string, Promise<{ model: LayersModel; workload: Workload; topology: Record<string, unknown> }>>()
  /** The model version a path names (400 when the id or version is malformed). */
  const versionRef = (params: { modelId: string; version: string }) => {
    const id = decodeModelId(params.modelId)
    const version = Number(params.version)
    if (id._tag === "Failure" || !Number.isSafeInteger(version) || version < 1) throw new InvalidRequest({ detail: "model id is M-<n> and version a positive integer" })
    return { modelId: id.value, version }
  }
  /** The version from the log (404 when missing), and the first workload `want` accepts whose topology check it passes. */
  const loadVersion = async ({ modelId, version }: { modelId: string; version: number }, want: (w: Workload) => boolean) => {
    const state = await runForRequest(runtime, loadModelState(modelId))
    const v = findVersion(state.versions, version)
    if (!v) throw new ModelVersionNotFound({ modelId, version })
    const workload = [...workloads.values()].find((w) => want(w) && w.topologyProblem(state.topology) === undefined)
    return { modelId, version, state, v, workload }
  }
  /** A version's weights by content address, with the topology they belong to (no workload needed: any model, opaque ones too). */
  app.get<{ Params: { modelId: string; version: string } }>("/models/:modelId/versions/:version/weights", async (request) => {
    // No workload is needed to name the weights (opaque models have none that builds them).
    const { modelId, version, state, v } = await loadVersion(versionRef(request.params), () => false)
    return { modelId, version, weightsHash: v.weightsHash, weights: `/weights/sha256-${v.weightsHash.slice(2)}`, topologyHash: state.topologyHash, topology: state.topology }
  })

  app.get<{ Params: { modelId: string; version: string }; Querystring: { format?: string } }>("/models/:modelId/versions/:version/export", async (request, reply) => {
    const format = request.query.format ?? "tfjs"
    if (format !== "tfjs" && format !== "onnx" && format !== "manifest") throw new InvalidRequest({ detail: "format is tfjs (default), onnx or manifest" })
    const { modelId, version, state, v, workload } = await loadVersion(versionRef(request.params), () => true)
    const opaque = opaqueOf(state.topology)
    if (opaque) {
      // Kept as submitted: its ONNX file is its only form (its "weights" are the file).
      if (format === "tfjs") throw new ExportUnsupported({ modelId, detail: `${modelId} is an opaque ONNX model (${opaque.reason}): export it as onnx` })
      if (format === "manifest") {
        const declared = workloads.get(opaque.workload)
        if (!declared?.io) throw new NoWorkloadForModel({ modelId })
        return manifestFor(modelId, version, declared, declared.io, opaque, `NeuraLink ${modelId} v${version} (opaque ONNX, as submitted)`)
      }
      return reply.type("application/octet-stream").header("content-disposition", `attachment; filename="${modelId}-v${version}.onnx"`).send(Buffer.from(await weights.get(v.weightsHash)))
    }
    if (!workload) throw new NoWorkloadForModel({ modelId })
    if (format === "manifest") {
      // The neura-model.json that goes with ?format=onnx: what ImportModel (here or on another network) takes back.
      if (!workload.io) throw new ExportUnsupported({ modelId, detail: `workload ${workload.id} declares no io: its models are not importable` })
      return manifestFor(modelId, version, workload, workload.io, workload.io, `NeuraLink ${modelId} v${version} (weights ${v.weightsHash})`)
    }
    const { tf } = await loadTf()
    const model = await workload.build(tf, state.topology)
    try {
      setWeightBytes(tf, model, await weights.get(v.weightsHash))
      if (format === "onnx") {
        let bytes: Uint8Array
        try {
          bytes = layersToOnnx(model, `${modelId}-v${version}`)
        } catch (e) {
          if (e instanceof NotOnnxExportable) throw new ExportUnsupported({ modelId, detail: e.message })
          throw e
        }
        return reply.type("application/octet-stream").header("content-disposition", `attachment; filename="${modelId}-v${version}.onnx"`).send(Buffer.from(bytes))
      }
      return { modelId, version, workload: workload.id, weightsHash: v.weightsHash, ...(await workload.export(tf, model)) }
    } finally {
      model.dispose()
    }
  })

  /**
   * A published version built by the first workload `want` accepts
   * (`refuse()` when no such workload builds it, then 409 when not published
   * or delisted),
   * kept among the last few built.
   */
  const publishedModel = async (ref: { modelId: string; version: number }, want: (w: Workload) => boolean, refuse: () => Error) => {
    const { modelId, version, state, v, workload } = await loadVersion(ref, want)
    // What the model is decides first: a classifier never generates, published or not.
    if (!workload) throw refuse()
    if (state.status === "delisted" || !state.publishedVersions.includes(version)) throw new ModelVersionNotPublished({ modelId, version })
    const key = `${modelId}@${version}`
    let entry = built.get(key)
    if (!entry) {
      if (built.size >= 4) {
        const oldest = built.keys().next().value!
        built.get(oldest)?.then((b) => b.model.dispose(), () => undefined)
        built.delete(oldest)
      }
      entry = (async () => {
        const { tf } = await loadTf()
        const model = await workload.build(tf, state.topology)
        setWeightBytes(tf, model, await weights.get(v.weightsHash))
        return { model, workload, topology: state.topology }
      })()
      built.set(key, entry)
      entry.catch(() => built.delete(key))
    }
    return { modelId, version, ...(await entry), tf: (await loadTf()).tf }
  }

  app.post<{ Params: { modelId: string; version: string } }>("/models/:modelId/versions/:version/generate", async (request) => {
    const ref = versionRef(request.params)
    const body = decodeGenerate(request.body)
    if (body._tag === "Failure") throw new InvalidRequest({ detail: `generate takes { prompt (≤ 2000 chars), maxTokens (1..1000), temperature (0..5), seed (integer ≥ 0) }: ${String(body.cause)}` })
    const ready = await publishedModel(ref, (w) => w.generate !== undefined, () => new NotGenerative({ modelId: ref.modelId, detail: "no generative workload builds this model's topology" }))
    const text = ready.workload.generate!(ready.tf, ready.model, ready.topology, body.value)
    return { modelId: ready.modelId, version: ready.version, workload: ready.workload.id, prompt: body.value.prompt, text, seed: body.value.seed, temperature: body.value.temperature }
  })

  app.post<{ Params: { modelId: string; version: string } }>("/models/:modelId/versions/:version/episodes", async (request) => {
    const ref = versionRef(request.params)
    const body = decodeEpisode(request.body)
    if (body._tag === "Failure") throw new InvalidRequest({ detail: `episodes takes { seed (integer 0..2147483647) }: ${String(body.cause)}` })
    const ready = await publishedModel(ref, (w) => w.episode !== undefined, () => new NotAnAgent({ modelId: ref.modelId, detail: "no agent workload builds this model's topology" }))
    const episode = ready.workload.episode!(ready.tf, ready.model, ready.topology, body.value.seed)
    return { modelId: ready.modelId, version: ready.version, workload: ready.workload.id, episode }
  })
}
