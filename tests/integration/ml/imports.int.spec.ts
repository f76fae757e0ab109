import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import { describe, expect, it } from "vitest"
import type { NeuraModelManifest } from "../../../domain/model/manifest"
import { apiWeightsWriter } from "../../../commands/weightsClient"
import { setWeightBytes } from "../../../infra/ml/model"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import { loadTf, type Tf } from "../../../infra/ml/tf"
import { digits, digitsMlpLayers } from "../../../workloads/digits"
import { tfjsLayersExport } from "../../../workloads/kit/export"
import { layersToOnnx } from "../../../workloads/kit/onnx"
import { apiHarness } from "../../support/apiHarness"
import { digitsManifest } from "../../support/manifests"
import { isolatedJetStreamLog } from "../../support/jetStreamLayer"
import { natsServerPerFile } from "../../support/natsServer"

/**
 * Models built elsewhere enter through one interface: an artefact uploaded
 * by hash and its neura-model.json manifest (ImportModel). On real JetStream
 * with real TF.js: an ONNX Dense stack and a TF.js Layers / Keras model.json
 * become models of the digits workload that predict exactly what the
 * submitted model predicts; a manifest that does not fit its workload, an
 * artefact the importer cannot read and a missing artefact are refused with
 * clear codes, and nothing is appended.
 */
const nats = natsServerPerFile()

const manifest = (framework: NeuraModelManifest["framework"], change: Partial<NeuraModelManifest> = {}): NeuraModelManifest =>
  digitsManifest({ framework, artefact: framework === "onnx" ? "model.onnx" : "model.json", ...change })

const predictions = (tf: Tf, model: LayersModel, x: Float32Array) => tf.tidy(() => Array.from((model.predict(tf.tensor2d(x, [x.length / 64, 64])) as Tensor).dataSync()))

describe("ImportModel: custom models through neura-model.json (real JetStream, real TF.js)", () => {
  it("imports an ONNX Dense stack and a Layers model.json as digits models that predict what they predicted; refuses misfits, appending nothing", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    const weights = inMemoryWeightsStore()
    await using api = await apiHarness(log.layer(), { weights })
    const { tf } = await loadTf()
    const upload = apiWeightsWriter(api.client.transport, api.keys.owner)
    const original = digitsMlpLayers(tf, 7)
    const held = digits.decode(digits.publicData({ shards: 1, trainSamples: 10, heldOutSamples: 50 }).validation, {})
    const expected = predictions(tf, original, held.x)

    const importAndLoad = async (framework: NeuraModelManifest["framework"], bytes: Uint8Array) => {
      const artefactHash = await upload.put(bytes)
      const out = await api.client.command("ImportModel", { name: `digits via ${framework}`, manifest: manifest(framework, { producer: "a test" }), artefactHash })
      const [registered, v1] = out.results[0]!.events as [any, any]
      expect(registered.data.origin).toEqual({ _tag: "Imported", artefactHash, manifest: manifest(framework, { producer: "a test" }) })
      const m = await digits.build(tf, registered.data.topology)
      setWeightBytes(tf, m, await weights.get(v1.data.weightsHash))
      const got = predictions(tf, m, held.x)
      m.dispose()
      return { modelId: registered.data.modelId as string, got, position: out.results[0]!.globalPosition as number }
    }

    // ONNX, as this network (or PyTorch) writes a Dense stack.
    const onnx = await importAndLoad("onnx", layersToOnnx(original, "digits"))
    onnx.got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6))
    expect(await api.client.get(`/models/${onnx.modelId}?minPosition=${onnx.position}`)).toMatchObject({ model: { origin: { kind: "imported", framework: "onnx", workload: "digits", producer: "a test" } } })

    // Round trip through the standard interface: the version's ONNX and its neura-model.json, imported again.
    const onnxBack = await api.app.inject({ method: "GET", url: `/models/${onnx.modelId}/versions/1/export?format=onnx` })
    const manifestBack = await api.client.get(`/models/${onnx.modelId}/versions/1/export?format=manifest`)
    expect(manifestBack).toMatchObject({ manifestVersion: 1, framework: "onnx", workload: "digits", metric: "accuracy", preprocessing: "pixel-counts-over-16" })
    const again = await api.client.command("ImportModel", { name: "round trip", manifest: manifestBack, artefactHash: await upload.put(new Uint8Array(onnxBack.rawPayload)) })
    const [, againV1] = again.results[0]!.events as [any, any]
    const roundTrip = await digits.build(tf, (again.results[0]!.events[0] as any).data.topology)
    setWeightBytes(tf, roundTrip, await weights.get(againV1.data.weightsHash))
    predictions(tf, roundTrip, held.x).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6))
    roundTrip.dispose()

    // A TF.js Layers model.json with inlined weights (what GET .../export answers), and the same topology as Keras JSON.
    const exported = await tfjsLayersExport(tf, original)
    const layers = await importAndLoad("tfjs-layers", new TextEncoder().encode(JSON.stringify(exported)))
    expect(layers.got).toEqual(expected)
    const keras = { modelTopology: { class_name: "Sequential", config: (exported.modelTopology as any).config ?? (exported.modelTopology as any).model_config?.config, keras_version: "2.15.0", backend: "tensorflow" }, weightsManifest: [{ paths: ["weights.bin"], weights: exported.weightSpecs }], weightData: exported.weightData }
    expect((await importAndLoad("keras", new TextEncoder().encode(JSON.stringify(keras)))).got).toEqual(expected)

    // Refusals: nothing appended for any of them.
    const before = (await api.client.get("/events?limit=1000")).events.length
    const onnxHash = await upload.put(layersToOnnx(original, "digits"))
    await expect(api.client.command("ImportModel", { name: "x", manifest: manifest("onnx", { workload: "fashion-cnn", preprocessing: "grey-levels-0-1" }), artefactHash: onnxHash })).rejects.toMatchObject({
      status: 400,
      problem: { code: "ImportRefused", detail: expect.stringMatching(/shape \[batch, 64\].*\[batch, 28, 28, 1\]/) }
    })
    await expect(api.client.command("ImportModel", { name: "x", manifest: manifest("onnx", { preprocessing: "raw" }), artefactHash: onnxHash })).rejects.toMatchObject({ status: 400, problem: { code: "ImportRefused" } })
    const notOnnx = await upload.put(new TextEncoder().encode("not a model"))
    await expect(api.client.command("ImportModel", { name: "x", manifest: manifest("onnx"), artefactHash: notOnnx })).rejects.toMatchObject({ status: 400, problem: { code: "ImportRefused", detail: expect.stringMatching(/not an ONNX model/) } })
    const cnn = tf.sequential({ layers: [tf.layers.reshape({ inputShape: [64], targetShape: [8, 8, 1] }), tf.layers.conv2d({ filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 10, activation: "softmax" })] })
    // Not convertible, and not runnable as its manifest says (no output of that name): refused with both reasons.
    // (Runnable, it would be kept as an opaque model: tests/integration/workloads/scoring.e2e.int.spec.ts.)
    const misnamed = manifest("onnx", { outputs: [{ name: "probabilities", shape: [null, 10], dtype: "float32" }] })
    await expect(api.client.command("ImportModel", { name: "x", manifest: misnamed, artefactHash: await upload.put(layersToOnnx(cnn, "cnn")) })).rejects.toMatchObject({
      status: 400,
      problem: { code: "ImportRefused", detail: expect.stringMatching(/operator Reshape.*opaque ONNX model: the graph has no output probabilities/) }
    })
    cnn.dispose()
    await expect(api.client.command("ImportModel", { name: "x", manifest: manifest("onnx"), artefactHash: `0x${"ab".repeat(32)}` })).rejects.toMatchObject({ status: 400, problem: { code: "ArtefactNotFound" } })
    await expect(api.client.command("ImportModel", { name: "x", manifest: { ...manifest("onnx"), framework: "caffe" }, artefactHash: onnxHash })).rejects.toMatchObject({ status: 400, problem: { code: "InvalidRequest" } })
    expect((await api.client.get("/events?limit=1000")).events.length).toBe(before)
    original.dispose()
  }, 120_000)
})
