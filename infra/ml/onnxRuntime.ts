import { createRequire } from "node:module"

/**
 * onnxruntime-node, loaded lazily (it is a native module the API, validators
 * and the coordinator need only for ONNX submissions). Installed with
 * ONNXRUNTIME_NODE_INSTALL=skip: its prebuilt CPU binding ships in the package.
 */
interface OrtTensor {
  readonly data: Float32Array | Int32Array | BigInt64Array
  readonly dims: ReadonlyArray<number>
}
interface OrtSession {
  readonly inputNames: ReadonlyArray<string>
  readonly outputNames: ReadonlyArray<string>
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>
  release(): Promise<void>
}
interface Ort {
  readonly InferenceSession: { create(bytes: Uint8Array): Promise<OrtSession> }
  readonly Tensor: new (type: string, data: Float32Array | Int32Array | BigInt64Array, dims: ReadonlyArray<number>) => OrtTensor
}

let ort: Ort | undefined
const runtime = (): Ort => (ort ??= createRequire(import.meta.url)("onnxruntime-node") as Ort)

/** One input of a model: row-major values and their dimensions (the batch first). */
export interface FeedTensor {
  readonly data: Float32Array
  readonly dims: ReadonlyArray<number>
}

export class OnnxNotRunnable extends Error {}

/**
 * An ONNX model opened in onnxruntime, fed and read by the names its
 * manifest gives (inputs in the manifest's order; float32 throughout).
 */
export const openOnnx = async (bytes: Uint8Array, names: { readonly inputs: ReadonlyArray<string>; readonly outputs: ReadonlyArray<string> }) => {
  let session: OrtSession
  try {
    session = await runtime().InferenceSession.create(bytes)
  } catch (e) {
    throw new OnnxNotRunnable(`onnxruntime cannot load it: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`)
  }
  const missing = [
    ...names.inputs.filter((n) => !session.inputNames.includes(n)).map((n) => `input ${n}`),
    ...names.outputs.filter((n) => !session.outputNames.includes(n)).map((n) => `output ${n}`)
  ]
  if (missing.length > 0) {
    await session.release()
    throw new OnnxNotRunnable(`the graph has no ${missing.join(", ")} (it has inputs ${session.inputNames.join(", ")}; outputs ${session.outputNames.join(", ")})`)
  }
  const { Tensor } = runtime()
  return {
    /** The outputs, in the manifest's order, for one batch of inputs. */
    run: async (inputs: ReadonlyArray<FeedTensor>): Promise<ReadonlyArray<Float32Array>> => {
      const feeds = Object.fromEntries(inputs.map((t, i) => [names.inputs[i]!, new Tensor("float32", t.data, t.dims)]))
      const out = await session.run(feeds)
      return names.outputs.map((n) => Float32Array.from(out[n]!.data as Float32Array))
    },
    close: () => session.release()
  }
}
