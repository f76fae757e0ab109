import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import { createRequire } from "node:module"

/**
 * A model version as ONNX (opset 13), written directly as the ONNX protobuf
 * (onnx-proto) for the Sequential models the workloads train from standard
 * layers: Dense (MatMul + Add), Conv2D, MaxPooling2D, Flatten and Reshape, with
 * relu/tanh/sigmoid/softmax/linear activations (digits, spam-bow, fashion-cnn,
 * spoken-digits, warehouse-agent). TF.js images are NHWC and ONNX's Conv is
 * NCHW: the graph transposes in before the first convolution and back before
 * Flatten, so the flattened order (and so every Dense weight) stays TF.js's.
 * A test runs each in onnxruntime-node beside TF.js. Anything else (the
 * transformer and CLIP custom layers) is refused with the layer that cannot
 * be written.
 */
const { onnx } = createRequire(import.meta.url)("onnx-proto") as { onnx: any }

const FLOAT = 1
const INT64 = 7
const ATTR_INT = 2
const ATTR_STRING = 3
const ATTR_INTS = 7
const ACTIVATIONS: Record<string, string | undefined> = { relu: "Relu", softmax: "Softmax", sigmoid: "Sigmoid", tanh: "Tanh", linear: undefined }

export class NotOnnxExportable extends Error {}

const ints = (name: string, values: ReadonlyArray<number>) => ({ name, type: ATTR_INTS, ints: [...values] })
const int = (name: string, i: number) => ({ name, type: ATTR_INT, i })
const str = (name: string, s: string) => ({ name, type: ATTR_STRING, s: new TextEncoder().encode(s) })
const pair = (v: number | ReadonlyArray<number> | undefined, fallback: number): [number, number] =>
  v === undefined ? [fallback, fallback] : typeof v === "number" ? [v, v] : [v[0]!, v[1] ?? v[0]!]
const floats = (t: Tensor) => Float32Array.from(t.dataSync() as Float32Array)
const bytesOf = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength)

/** A TF.js conv kernel [kh, kw, in, out] as ONNX's [out, in, kh, kw]. */
const convKernel = (kernel: Tensor): { data: Float32Array; dims: [number, number, number, number] } => {
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number]
  const src = floats(kernel)
  const out = new Float32Array(src.length)
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o]!
  return { data: out, dims: [cout, cin, kh, kw] }
}

export const layersToOnnx = (model: LayersModel, name: string): Uint8Array => {
  const nodes: Array<unknown> = []
  const initializers: Array<unknown> = []
  let current = "input"
  let layout: "nhwc" | "nchw" | "flat" = (model.inputs[0]!.shape.length === 4 ? "nhwc" : "flat") as "nhwc" | "flat"
  let n = 0
  const node = (opType: string, input: Array<string>, attribute: Array<unknown> = []) => {
    const output = `${opType.toLowerCase()}${n++}`
    nodes.push({ opType, input, output: [output], name: output, attribute })
    current = output
  }
  const initializer = (data: Float32Array, dims: ReadonlyArray<number>) => {
    const initName = `w${initializers.length}`
    initializers.push({ name: initName, dims: [...dims], dataType: FLOAT, rawData: bytesOf(data) })
    return initName
  }
  const toLayout = (want: "nhwc" | "nchw") => {
    if (layout === want) return
    node("Transpose", [current], [ints("perm", want === "nchw" ? [0, 3, 1, 2] : [0, 2, 3, 1])])
    layout = want
  }
  const activate = (i: number, activation: string | undefined) => {
    const a = activation ?? "linear"
    if (!(a in ACTIVATIONS)) throw new NotOnnxExportable(`layer ${i}: activation ${a} has no ONNX writer here`)
    const op = ACTIVATIONS[a]
    if (op) node(op, [current], op === "Softmax" ? [int("axis", -1)] : [])
  }

  model.layers.forEach((layer, i) => {
    const kind = layer.getClassName()
    const config = layer.getConfig() as Record<string, any>
    switch (kind) {
      case "Dense": {
        if (layout !== "flat") throw new NotOnnxExportable(`layer ${i} (Dense) on an image: flatten first`)
        const [kernel, bias] = layer.getWeights()
        node("MatMul", [current, initializer(floats(kernel!), kernel!.shape)])
        if (bias && config.useBias !== false) node("Add", [current, initializer(floats(bias), bias.shape)])
        activate(i, config.activation)
        break
      }
      case "Conv2D": {
        if (config.dataFormat && config.dataFormat !== "channelsLast") throw new NotOnnxExportable(`layer ${i} (Conv2D): only channelsLast`)
        toLayout("nchw")
        const [kernel, bias] = layer.getWeights()
        const k = convKernel(kernel!)
        const inputs = [current, initializer(k.data, k.dims)]
        if (bias && config.useBias !== false) inputs.push(initializer(floats(bias), bias.shape))
        node("Conv", inputs, [
          ints("kernel_shape", k.dims.slice(2)),
          ints("strides", pair(config.strides, 1)),
          ints("dilations", pair(config.dilationRate, 1)),
          // TF's "same" pads the extra cell at the end, as ONNX's SAME_UPPER does.
          config.padding === "same" ? str("auto_pad", "SAME_UPPER") : ints("pads", [0, 0, 0, 0])
        ])
        activate(i, config.activation)
        break
      }
      case "MaxPooling2D": {
        toLayout("nchw")
        const size = pair(config.poolSize, 2)
        node("MaxPool", [current], [ints("kernel_shape", size), ints("strides", pair(config.strides ?? size, 1)), config.padding === "same" ? str("auto_pad", "SAME_UPPER") : ints("pads", [0, 0, 0, 0])])
        break
      }
      case "Reshape": {
        // To an image (digits' 64 counts as 8×8×1) or to a vector; the batch dimension stays.
        const target = config.targetShape as Array<number>
        if (target.length !== 1 && target.length !== 3) throw new NotOnnxExportable(`layer ${i} (Reshape) to rank ${target.length}`)
        if (layout === "nchw") toLayout("nhwc")
        const shape = new BigInt64Array([-1n, ...target.map(BigInt)])
        const shapeName = `shape${initializers.length}`
        initializers.push({ name: shapeName, dims: [shape.length], dataType: INT64, rawData: new Uint8Array(shape.buffer) })
        node("Reshape", [current, shapeName])
        layout = target.length === 3 ? "nhwc" : "flat"
        break
      }
      case "Flatten":
        // TF.js flattens NHWC: transpose back first, so the order matches the Dense weights after it.
        if (layout !== "flat") {
          toLayout("nhwc")
          node("Flatten", [current], [int("axis", 1)])
          layout = "flat"
        }
        break
      default:
        throw new NotOnnxExportable(`layer ${i} (${kind}) has no ONNX writer here; Dense, Conv2D, MaxPooling2D, Flatten and Reshape are exported`)
    }
  })
  if (layout !== "flat") toLayout("nhwc")
  const dims = (shape: ReadonlyArray<number | null>) => ({ dim: shape.map((d, j) => (j === 0 || d === null ? { dimParam: "batch" } : { dimValue: d })) })
  const tensor = (tensorName: string, shape: ReadonlyArray<number | null>) => ({ name: tensorName, type: { tensorType: { elemType: FLOAT, shape: dims(shape) } } })
  nodes.push({ opType: "Identity", input: [current], output: ["output"], name: "output" })
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "neuralink",
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name, node: nodes, initializer: initializers, input: [tensor("input", model.inputs[0]!.shape)], output: [tensor("output", model.outputs[0]!.shape)] }
  })
  return onnx.ModelProto.encode(proto).finish() as Uint8Array
}
