import type { LayersModel } from "@tensorflow/tfjs"
import { createRequire } from "node:module"

/**
 * A model version as ONNX (opset 13), for the models ONNX runtimes can run
 * without translation: Sequential stacks of Dense layers (MatMul + Add and
 * the activation), as digits and spam-bow train. Written directly as the
 * ONNX protobuf (onnx-proto); a test runs it in onnxruntime-node beside
 * TF.js. Anything else is refused with the layer that cannot be written.
 */
const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: any }

const FLOAT = 1
const ACTIVATIONS: Record<string, string | undefined> = { relu: "Relu", softmax: "Softmax", sigmoid: "Sigmoid", tanh: "Tanh", linear: undefined }

export class NotOnnxExportable extends Error {}

export const denseStackToOnnx = (model: LayersModel, name: string): Uint8Array => {
  const nodes: Array<unknown> = []
  const initializers: Array<unknown> = []
  let current = "input"
  let inputWidth: number | undefined
  let outputWidth = 0
  model.layers.forEach((layer, i) => {
    const config = layer.getConfig() as { units?: number; activation?: string; useBias?: boolean }
    if (layer.getClassName() !== "Dense") throw new NotOnnxExportable(`layer ${i} (${layer.getClassName()}) has no ONNX writer here; only Dense stacks are exported`)
    const [kernel, bias] = layer.getWeights()
    const [fanIn, units] = kernel!.shape as [number, number]
    inputWidth ??= fanIn
    const raw = (t: { dataSync: () => Float32Array | Int32Array | Uint8Array }) => {
      const f = Float32Array.from(t.dataSync() as Float32Array)
      return new Uint8Array(f.buffer)
    }
    initializers.push({ name: `W${i}`, dims: [fanIn, units], dataType: FLOAT, rawData: raw(kernel!) })
    nodes.push({ opType: "MatMul", input: [current, `W${i}`], output: [`mm${i}`], name: `matmul${i}` })
    current = `mm${i}`
    if (bias && config.useBias !== false) {
      initializers.push({ name: `B${i}`, dims: [units], dataType: FLOAT, rawData: raw(bias) })
      nodes.push({ opType: "Add", input: [current, `B${i}`], output: [`add${i}`], name: `add${i}` })
      current = `add${i}`
    }
    const activation = config.activation ?? "linear"
    if (!(activation in ACTIVATIONS)) throw new NotOnnxExportable(`layer ${i}: activation ${activation} has no ONNX writer here`)
    const op = ACTIVATIONS[activation]
    if (op) {
      nodes.push({ opType: op, input: [current], output: [`act${i}`], name: `${activation}${i}`, ...(op === "Softmax" ? { attribute: [{ name: "axis", type: 2, i: -1 }] } : {}) })
      current = `act${i}`
    }
    outputWidth = units
  })
  const tensor = (tensorName: string, width: number) => ({
    name: tensorName,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } }
  })
  nodes.push({ opType: "Identity", input: [current], output: ["output"], name: "output" })
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "neuralink",
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name, node: nodes, initializer: initializers, input: [tensor("input", inputWidth ?? 0)], output: [tensor("output", outputWidth)] }
  })
  return onnx.ModelProto.encode(proto).finish() as Uint8Array
}
