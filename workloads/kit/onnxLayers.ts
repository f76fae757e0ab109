import type { Tensor } from "@tensorflow/tfjs"

/**
 * ONNX writers for one Layers layer each (./onnx.ts walks the graph): a
 * writer gets the layer, the ONNX names of its inputs and answers the name
 * of its output. Tensors carry a layout: "nhwc" (a TF.js image), "nchw" (an
 * image as ONNX's Conv wants it) or "plain" (vectors and sequences).
 */
export type Layout = "nhwc" | "nchw" | "plain"

export interface GraphBuilder {
  readonly node: (opType: string, input: Array<string>, attribute?: Array<unknown>) => string
  readonly floats: (data: Float32Array, dims: ReadonlyArray<number>) => string
  readonly int64s: (values: ReadonlyArray<number>) => string
  readonly layout: (tensor: string) => Layout
  readonly setLayout: (tensor: string, layout: Layout) => void
  readonly refuse: (why: string) => never
}

type LayerLike = {
  readonly name: string
  getConfig(): Record<string, unknown>
  getWeights(): Array<Tensor>
  readonly inputSpec?: unknown
  readonly input: { shape: Array<number | null> } | Array<{ shape: Array<number | null> }>
}
export type LayerWriter = (g: GraphBuilder, layer: LayerLike, inputs: Array<string>, where: string) => string

const ints = (name: string, values: ReadonlyArray<number>) => ({ name, type: 7, ints: [...values] })
const int = (name: string, i: number) => ({ name, type: 2, i })
const str = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) })
const pair = (v: unknown, fallback: number): [number, number] =>
  v === undefined || v === null ? [fallback, fallback] : typeof v === "number" ? [v, v] : [(v as Array<number>)[0]!, (v as Array<number>)[1] ?? (v as Array<number>)[0]!]
const floats = (t: Tensor) => Float32Array.from(t.dataSync() as Float32Array)
const scalar = (g: GraphBuilder, v: number) => g.floats(Float32Array.of(v), [])
const inputShape = (layer: LayerLike) => (Array.isArray(layer.input) ? layer.input[0]!.shape : layer.input.shape)

/** TF.js activation → ONNX operator (linear writes none); the importer reads it backwards. */
export const ACTIVATIONS: Record<string, string | undefined> = { relu: "Relu", softmax: "Softmax", sigmoid: "Sigmoid", tanh: "Tanh", linear: undefined }

const activate = (g: GraphBuilder, x: string, activation: unknown, where: string) => {
  const a = (activation as string | undefined) ?? "linear"
  if (!(a in ACTIVATIONS)) g.refuse(`${where}: activation ${a} has no ONNX writer here`)
  const op = ACTIVATIONS[a]
  return op ? g.node(op, [x], op === "Softmax" ? [int("axis", -1)] : []) : x
}

/** The tensor in `want` layout (images only). */
const inLayout = (g: GraphBuilder, x: string, want: "nhwc" | "nchw") => {
  const have = g.layout(x)
  if (have === want) return x
  if (have === "plain") g.refuse(`expected an image, got a vector or sequence`)
  const out = g.node("Transpose", [x], [ints("perm", want === "nchw" ? [0, 3, 1, 2] : [0, 2, 3, 1])])
  g.setLayout(out, want)
  return out
}

/** Shared by Dense and the custom layers: x · kernel (+ bias), on vectors or sequences alike (MatMul broadcasts). */
const dense = (g: GraphBuilder, x: string, kernel: Tensor, bias?: Tensor) => {
  const y = g.node("MatMul", [x, g.floats(floats(kernel), kernel.shape)])
  return bias ? g.node("Add", [y, g.floats(floats(bias), bias.shape)]) : y
}

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

export const standardLayerWriters: Record<string, LayerWriter> = {
  Dense: (g, layer, [x], where) => {
    if (g.layout(x!) !== "plain") g.refuse(`${where} on an image: flatten first`)
    const config = layer.getConfig()
    const [kernel, bias] = layer.getWeights()
    return activate(g, dense(g, x!, kernel!, config.useBias === false ? undefined : bias), config.activation, where)
  },
  Conv2D: (g, layer, [x], where) => {
    const config = layer.getConfig()
    if (config.dataFormat && config.dataFormat !== "channelsLast") g.refuse(`${where}: only channelsLast`)
    const [kernel, bias] = layer.getWeights()
    const k = convKernel(kernel!)
    const inputs = [inLayout(g, x!, "nchw"), g.floats(k.data, k.dims)]
    if (bias && config.useBias !== false) inputs.push(g.floats(floats(bias), bias.shape))
    const y = g.node("Conv", inputs, [
      ints("kernel_shape", k.dims.slice(2)),
      ints("strides", pair(config.strides, 1)),
      ints("dilations", pair(config.dilationRate, 1)),
      // TF's "same" pads the extra cell at the end, as ONNX's SAME_UPPER does.
      config.padding === "same" ? str("auto_pad", "SAME_UPPER") : ints("pads", [0, 0, 0, 0])
    ])
    g.setLayout(y, "nchw")
    const out = activate(g, y, config.activation, where)
    g.setLayout(out, "nchw")
    return out
  },
  MaxPooling2D: (g, layer, [x]) => {
    const config = layer.getConfig()
    const size = pair(config.poolSize, 2)
    const y = g.node("MaxPool", [inLayout(g, x!, "nchw")], [ints("kernel_shape", size), ints("strides", pair(config.strides ?? size, 1)), config.padding === "same" ? str("auto_pad", "SAME_UPPER") : ints("pads", [0, 0, 0, 0])])
    g.setLayout(y, "nchw")
    return y
  },
  // TF.js flattens NHWC: transpose back first, so the order matches the Dense weights after it.
  Flatten: (g, _layer, [x]) => g.node("Flatten", [g.layout(x!) === "plain" ? x! : inLayout(g, x!, "nhwc")], [int("axis", 1)]),
  Reshape: (g, layer, [x], where) => {
    const target = layer.getConfig().targetShape as Array<number>
    if (target.length < 1 || target.length > 3) g.refuse(`${where} to rank ${target.length}`)
    const y = g.node("Reshape", [g.layout(x!) === "plain" ? x! : inLayout(g, x!, "nhwc"), g.int64s([-1, ...target])])
    if (target.length === 3) g.setLayout(y, "nhwc")
    return y
  },
  Add: (g, _layer, inputs) => inputs.slice(1).reduce((sum, x) => g.node("Add", [sum, x]), inputs[0]!),
  GlobalAveragePooling1D: (g, _layer, [x]) => g.node("ReduceMean", [x!], [ints("axes", [1]), int("keepdims", 0)])
}

/** The network's own layers (workloads/kit/transformer.ts, workloads/emoji-clip/model.ts), op for op. */
export const customLayerWriters: Record<string, LayerWriter> = {
  NeuraSinusoidalPositions: (g, layer, [x]) => {
    const [, t, d] = inputShape(layer) as [null, number, number]
    const table = new Float32Array(t * d)
    for (let p = 0; p < t; p++)
      for (let i = 0; i < d; i++) {
        const angle = p / Math.pow(10_000, (2 * Math.floor(i / 2)) / d)
        table[p * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle)
      }
    return g.node("Add", [x!, g.floats(table, [1, t, d])])
  },
  NeuraLayerNorm: (g, layer, [x]) => {
    const [gamma, beta] = layer.getWeights()
    const centred = g.node("Sub", [x!, g.node("ReduceMean", [x!], [ints("axes", [-1]), int("keepdims", 1)])])
    const variance = g.node("ReduceMean", [g.node("Mul", [centred, centred])], [ints("axes", [-1]), int("keepdims", 1)])
    const inverse = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [variance, scalar(g, 1e-3)])])])
    return g.node("Add", [g.node("Mul", [g.node("Mul", [centred, inverse]), g.floats(floats(gamma!), gamma!.shape)]), g.floats(floats(beta!), beta!.shape)])
  },
  NeuraSelfAttention: (g, layer, [x]) => {
    const config = layer.getConfig() as { dModel: number; heads: number; causal: boolean }
    const [, t] = inputShape(layer) as [null, number, number]
    const [wq, wk, wv, wo] = layer.getWeights()
    const d = config.dModel
    const h = config.heads
    const dh = d / h
    // [b, t, d] · W → [b, t, h, dh] → [b, h, t, dh]
    const heads = (w: Tensor) => g.node("Transpose", [g.node("Reshape", [dense(g, x!, w), g.int64s([0, 0, h, dh])])], [ints("perm", [0, 2, 1, 3])])
    const [q, k, v] = [heads(wq!), heads(wk!), heads(wv!)]
    let scores = g.node("Mul", [g.node("MatMul", [q, g.node("Transpose", [k], [ints("perm", [0, 1, 3, 2])])]), scalar(g, 1 / Math.sqrt(dh))])
    if (config.causal) {
      // -1e9 above the diagonal: position i attends to positions <= i only.
      const mask = new Float32Array(t * t)
      for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = -1e9
      scores = g.node("Add", [scores, g.floats(mask, [t, t])])
    }
    const mixed = g.node("Transpose", [g.node("MatMul", [g.node("Softmax", [scores], [int("axis", -1)]), v])], [ints("perm", [0, 2, 1, 3])])
    return dense(g, g.node("Reshape", [mixed, g.int64s([0, 0, d])]), wo!)
  },
  NeuraL2Normalise: (g, _layer, [x]) => g.node("Div", [x!, g.node("Sqrt", [g.node("Add", [g.node("ReduceSumSquare", [x!], [ints("axes", [-1]), int("keepdims", 1)]), scalar(g, 1e-8)])])]),
  NeuraTextToImage: (g, layer, [text, image]) => {
    const scale = layer.getConfig().scale as number
    const similarity = g.node("Mul", [g.node("MatMul", [text!, g.node("Transpose", [image!], [ints("perm", [1, 0])])]), scalar(g, scale)])
    return g.node("Softmax", [similarity], [int("axis", -1)])
  }
}
