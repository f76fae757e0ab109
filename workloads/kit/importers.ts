import type { LayersModel } from "@tensorflow/tfjs"
import { createRequire } from "node:module"
import type { NeuraModelManifest, TensorSpec } from "../../domain/model/manifest"
import type { Tf } from "../../infra/ml/tf"
import type { Workload } from "../workload"
import { ACTIVATIONS as EXPORTED_ACTIVATIONS } from "./onnxLayers"

/**
 * Models from other frameworks into the network's own form (a TF.js Layers
 * model: topology + weights), so that an imported model trains, is verified
 * by segment re-execution, forks and publishes like any other:
 * - tfjs-layers / keras: a Layers model.json (Keras JSON topology) with its
 *   weights, inlined as base64 `weightData` beside `weightSpecs` or a
 *   `weightsManifest` (what `neura import` packs from tensorflowjs files);
 * - onnx: graphs of Dense stacks — MatMul (+ Add) or Gemm, with Relu, Tanh,
 *   Sigmoid or Softmax — as PyTorch's torch.onnx.export writes an MLP and as
 *   this network exports one; other operators are refused by name.
 * Every problem is an ImportProblem with a reason a submitter can act on.
 */
export class ImportProblem extends Error {}

const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: any }

const sameShape = (a: ReadonlyArray<number | null>, b: ReadonlyArray<number | null>) => a.length === b.length && a.every((d, i) => d === null || b[i] === null || d === b[i])
const show = (s: ReadonlyArray<number | null>) => `[${s.map((d) => d ?? "batch").join(", ")}]`

/** Why a manifest does not fit the workload it claims, or undefined. Pure. */
export const manifestProblem = (m: NeuraModelManifest, w: Workload | undefined): string | undefined => {
  if (!w) return `unknown workload ${m.workload}`
  if (!w.io) return `workload ${w.id} takes no imported models`
  if (!w.metrics.some((x) => x.name === m.metric)) return `workload ${w.id} does not measure ${m.metric} (it measures ${w.metrics.map((x) => x.name).join(", ")})`
  if (m.preprocessing !== w.io.preprocessing) return `workload ${w.id} feeds models ${w.io.preprocessing}, the manifest expects ${m.preprocessing}`
  if (m.postprocessing !== w.io.postprocessing) return `workload ${w.id} reads outputs as ${w.io.postprocessing}, the manifest gives ${m.postprocessing}`
  const side = (what: string, got: ReadonlyArray<TensorSpec>, want: ReadonlyArray<TensorSpec>) => {
    if (got.length !== want.length) return `workload ${w.id} has ${want.length} ${what}, the manifest ${got.length}`
    for (let i = 0; i < want.length; i++) {
      if (got[i]!.dtype !== want[i]!.dtype) return `${what} ${i} (${got[i]!.name}) is ${got[i]!.dtype}, workload ${w.id} uses ${want[i]!.dtype}`
      if (!sameShape(got[i]!.shape, want[i]!.shape)) return `${what} ${i} (${got[i]!.name}) has shape ${show(got[i]!.shape)}, workload ${w.id} uses ${show(want[i]!.shape)}`
    }
    return undefined
  }
  return side("inputs", m.inputs, w.io.inputs) ?? side("outputs", m.outputs, w.io.outputs)
}

/** A Layers model.json with inlined weights (base64 weightData). */
const fromLayersJson = async (tf: Tf, bytes: Uint8Array): Promise<LayersModel> => {
  let doc: { modelTopology?: unknown; weightSpecs?: unknown; weightsManifest?: Array<{ weights?: unknown }>; weightData?: unknown }
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw new ImportProblem("the artefact is not JSON (a Layers model.json with weightData)")
  }
  if (typeof doc.modelTopology !== "object" || doc.modelTopology === null) throw new ImportProblem("model.json has no modelTopology")
  const weightSpecs = doc.weightSpecs ?? doc.weightsManifest?.flatMap((g) => (Array.isArray(g.weights) ? g.weights : []))
  if (!Array.isArray(weightSpecs) || typeof doc.weightData !== "string") throw new ImportProblem("model.json needs weightSpecs (or weightsManifest) and weightData (base64 of the weight files, in order)")
  const data = Buffer.from(doc.weightData, "base64")
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: doc.modelTopology as never, weightSpecs: weightSpecs as never, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }))
  } catch (e) {
    throw new ImportProblem(`TF.js cannot load this Layers model: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** ONNX operator → TF.js activation: the exporter's table read backwards. */
const ACTIVATIONS: Record<string, string> = Object.fromEntries(Object.entries(EXPORTED_ACTIVATIONS).flatMap(([activation, op]) => (op ? [[op, activation]] : [])))

const floatsOf = (t: any): Float32Array => {
  if (t.dataType !== 1) throw new ImportProblem(`initializer ${t.name} is not float32`)
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData as Uint8Array
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
  }
  return Float32Array.from(t.floatData ?? [])
}

/** [rows, cols] row-major → [cols, rows]. */
const transpose = (a: Float32Array, rows: number, cols: number) => {
  const out = new Float32Array(a.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!
  return out
}

interface DenseParts {
  kernel: Float32Array
  inputs: number
  units: number
  bias?: Float32Array
  activation?: string
}

/** An ONNX graph that is a chain of dense layers, as Layers Dense layers. */
const fromOnnx = async (tf: Tf, bytes: Uint8Array): Promise<LayersModel> => {
  let proto: any
  try {
    proto = onnx.ModelProto.decode(bytes)
  } catch {
    throw new ImportProblem("the artefact is not an ONNX model (protobuf ModelProto)")
  }
  const graph = proto.graph
  if (!graph) throw new ImportProblem("the ONNX model has no graph")
  const init = new Map<string, any>((graph.initializer ?? []).map((t: any) => [t.name, t]))
  const realInputs = (graph.input ?? []).filter((i: any) => !init.has(i.name))
  if (realInputs.length !== 1) throw new ImportProblem(`the ONNX graph has ${realInputs.length} inputs; a Dense stack has one`)
  const dims = (t: any) => (t.dims ?? []).map(Number) as Array<number>
  const layers: Array<DenseParts> = []
  let current: string = realInputs[0].name
  for (const node of graph.node ?? []) {
    const op = node.opType as string
    const other = (node.input as Array<string>).filter((x) => x !== current)
    if (!(node.input as Array<string>).includes(current)) throw new ImportProblem(`node ${node.name || op} does not continue the chain (branching graphs are not imported)`)
    const last = layers[layers.length - 1]
    if (op === "MatMul") {
      const w = init.get(other[0]!)
      if (!w || dims(w).length !== 2) throw new ImportProblem(`MatMul ${node.name} needs a 2-D weight initializer`)
      const [rows, cols] = dims(w) as [number, number]
      layers.push({ kernel: floatsOf(w), inputs: rows, units: cols })
    } else if (op === "Gemm") {
      const attr = Object.fromEntries((node.attribute ?? []).map((a: any) => [a.name, a]))
      if ((attr.alpha && attr.alpha.f !== 1) || (attr.beta && attr.beta.f !== 1) || Number(attr.transA?.i ?? 0) !== 0) throw new ImportProblem(`Gemm ${node.name}: only alpha = beta = 1 without transA is imported`)
      const w = init.get(other[0]!)
      if (!w || dims(w).length !== 2) throw new ImportProblem(`Gemm ${node.name} needs a 2-D weight initializer`)
      const [rows, cols] = dims(w) as [number, number]
      const transB = Number(attr.transB?.i ?? 0) === 1
      // PyTorch's Linear stores [out, in] and exports Gemm with transB = 1.
      const layer: DenseParts = transB ? { kernel: transpose(floatsOf(w), rows, cols), inputs: cols, units: rows } : { kernel: floatsOf(w), inputs: rows, units: cols }
      if (other[1]) {
        const b = init.get(other[1])
        if (!b) throw new ImportProblem(`Gemm ${node.name}: its bias is not an initializer`)
        layer.bias = floatsOf(b)
      }
      layers.push(layer)
    } else if (op === "Add") {
      const b = init.get(other[0]!)
      if (!last || last.bias || last.activation || !b || floatsOf(b).length !== last.units) throw new ImportProblem(`Add ${node.name} is not a bias after MatMul`)
      last.bias = floatsOf(b)
    } else if (op in ACTIVATIONS) {
      if (!last || last.activation) throw new ImportProblem(`${op} ${node.name} does not follow a dense layer`)
      last.activation = ACTIVATIONS[op]
    } else if (op === "Identity" || (op === "Flatten" && layers.length === 0)) {
      // Nothing to do: names only, or flattening an input that is already a vector.
    } else {
      throw new ImportProblem(`ONNX operator ${op} (${node.name || "unnamed"}) is not imported: Dense stacks only (MatMul, Add, Gemm, Relu, Tanh, Sigmoid, Softmax)`)
    }
    current = node.output[0]
  }
  if (layers.length === 0) throw new ImportProblem("the ONNX graph has no dense layer")
  for (let i = 1; i < layers.length; i++) if (layers[i]!.inputs !== layers[i - 1]!.units) throw new ImportProblem(`layer ${i} takes ${layers[i]!.inputs} inputs, layer ${i - 1} gives ${layers[i - 1]!.units}`)
  const model = tf.sequential({
    layers: layers.map((l, i) => tf.layers.dense({ name: `dense_${i + 1}`, units: l.units, activation: (l.activation ?? "linear") as never, ...(i === 0 ? { inputShape: [l.inputs] } : {}) }))
  })
  model.layers.forEach((layer, i) => {
    const l = layers[i]!
    layer.setWeights([tf.tensor2d(l.kernel, [l.inputs, l.units]), tf.tensor1d(l.bias ?? new Float32Array(l.units))])
  })
  return model
}

/** The submitted artefact as a Layers model of the manifest's workload (its topology checked), or an ImportProblem. */
export const importArtefact = async (tf: Tf, manifest: NeuraModelManifest, workload: Workload, bytes: Uint8Array): Promise<LayersModel> => {
  const model = manifest.framework === "onnx" ? await fromOnnx(tf, bytes) : await fromLayersJson(tf, bytes)
  const topology = model.toJSON(null, false) as Record<string, unknown>
  const problem = workload.topologyProblem(topology)
  const shape = model.inputs[0]!.shape
  const mismatch =
    problem ??
    (sameShape(shape, manifest.inputs[0]!.shape) ? undefined : `the model takes ${show(shape)}, its manifest says ${show(manifest.inputs[0]!.shape)}`) ??
    (sameShape(model.outputs[0]!.shape, manifest.outputs[0]!.shape) ? undefined : `the model gives ${show(model.outputs[0]!.shape)}, its manifest says ${show(manifest.outputs[0]!.shape)}`)
  if (mismatch) {
    model.dispose()
    throw new ImportProblem(`converted, but not a ${workload.id} model: ${mismatch}`)
  }
  return model
}
