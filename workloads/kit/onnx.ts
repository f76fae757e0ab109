import type { LayersModel, SymbolicTensor } from "@tensorflow/tfjs"
import { createRequire } from "node:module"
import { customLayerWriters, standardLayerWriters, type GraphBuilder, type Layout } from "./onnxLayers"

/**
 * A model version as ONNX (opset 13), written directly as the ONNX protobuf
 * (onnx-proto) by walking the Layers graph in topological order: Sequential
 * and functional models, one or several inputs. Standard layers (Dense on
 * vectors or sequences, Conv2D, MaxPooling2D, Flatten, Reshape, Add,
 * GlobalAveragePooling1D) and the network's own custom layers (the
 * transformer's attention, positions and layer norm; CLIP's normalisation and
 * similarity) each have a writer in ./onnxLayers.ts. TF.js images are NHWC and
 * ONNX's Conv is NCHW: tensors carry their layout, transposed in before a
 * convolution and back before anything that reads them as NHWC. A test runs
 * every workload's model in onnxruntime-node beside TF.js (within 1e-5).
 * A layer without a writer is refused by name.
 */
const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: any }

const FLOAT = 1

export class NotOnnxExportable extends Error {}

export const layersToOnnx = (model: LayersModel, name: string): Uint8Array => {
  const nodes: Array<unknown> = []
  const initializers: Array<unknown> = []
  const layoutOf = new Map<string, Layout>()
  let n = 0
  const g: GraphBuilder = {
    node: (opType, input, attribute = []) => {
      const output = `${opType.toLowerCase()}${n++}`
      nodes.push({ opType, input, output: [output], name: output, attribute })
      return output
    },
    floats: (data, dims) => {
      const initName = `w${initializers.length}`
      initializers.push({ name: initName, dims: [...dims], dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })
      return initName
    },
    int64s: (values) => {
      const initName = `w${initializers.length}`
      const data = new BigInt64Array(values.map(BigInt))
      initializers.push({ name: initName, dims: [values.length], dataType: 7, rawData: new Uint8Array(data.buffer) })
      return initName
    },
    layout: (tensor) => layoutOf.get(tensor) ?? "plain",
    setLayout: (tensor, layout) => void layoutOf.set(tensor, layout),
    refuse: (why) => {
      throw new NotOnnxExportable(why)
    }
  }

  // Graph inputs: one tensor per model input, named "input" when there is one, else by the input layer's name.
  const tensorOf = new Map<string, string>()
  const inputs = model.inputs.map((t: SymbolicTensor) => {
    const layerName = t.sourceLayer.name
    const inputName = model.inputs.length === 1 ? "input" : layerName
    tensorOf.set(layerName, inputName)
    layoutOf.set(inputName, t.shape.length === 4 ? "nhwc" : "plain")
    return { name: inputName, shape: t.shape }
  })

  model.layers.forEach((layer, i) => {
    const kind = layer.getClassName()
    if (kind === "InputLayer") return
    const inbound = ((layer as unknown as { inboundNodes: Array<{ inboundLayers: Array<{ name: string }> }> }).inboundNodes[0]?.inboundLayers ?? []).map((l) => {
      const t = tensorOf.get(l.name)
      if (!t) throw new NotOnnxExportable(`layer ${i} (${kind}) reads ${l.name}, which was not written`)
      return t
    })
    const write = standardLayerWriters[kind] ?? customLayerWriters[kind]
    if (!write) throw new NotOnnxExportable(`layer ${i} (${kind}) has no ONNX writer here`)
    tensorOf.set(layer.name, write(g, layer, inbound, `layer ${i} (${kind})`))
  })

  let output = tensorOf.get(model.outputs[0]!.sourceLayer.name)!
  if (g.layout(output) === "nchw") output = g.node("Transpose", [output], [{ name: "perm", type: 7, ints: [0, 2, 3, 1] }])
  nodes.push({ opType: "Identity", input: [output], output: ["output"], name: "output" })
  const dims = (shape: ReadonlyArray<number | null>) => ({ dim: shape.map((d, j) => (j === 0 || d === null ? { dimParam: "batch" } : { dimValue: d })) })
  const tensor = (tensorName: string, shape: ReadonlyArray<number | null>) => ({ name: tensorName, type: { tensorType: { elemType: FLOAT, shape: dims(shape) } } })
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "neuralink",
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name, node: nodes, initializer: initializers, input: inputs.map((x) => tensor(x.name, x.shape)), output: [tensor("output", model.outputs[0]!.shape)] }
  })
  return onnx.ModelProto.encode(proto).finish() as Uint8Array
}
