import { createRequire } from "node:module"
import { dirname } from "node:path"
import { conv2dFilterGradient } from "./conv2dFilterGradient"

/**
 * TensorFlow.js, loaded lazily and only here (STYLE: tfjs stays in the
 * Trainer's live layer). Backend order: `@tensorflow/tfjs-node-gpu` when it
 * is installed (an optional dependency; it cannot install on machines that
 * cannot download libtensorflow), else wasm with SIMD (offline, shipped in
 * the npm package), else the pure-JS cpu backend. `TFJS_BACKEND=wasm|cpu`
 * forces one.
 */
export type Tf = typeof import("@tensorflow/tfjs")

export interface LoadedTf {
  readonly tf: Tf
  /** The backend's name plus what distinguishes builds, e.g. "wasm-simd@4.22.0". */
  readonly backend: string
}

let loading: Promise<LoadedTf> | undefined

const deferred = new WeakSet<LoadedTf>()

/**
 * TF.js for a node process whose ML work runs on its ML threads
 * (nodes/threads): the backend they loaded, and TF.js itself on the event
 * loop only once some work must run there (`onEventLoop`: a PyTorch
 * trainer's model, a dispute answer). Loading it at start held a second
 * backend in every trainer and validator process for nothing: ~85 MiB
 * (measured: 165 MiB after importing the workloads, 249 after `loadTf`).
 */
export const deferredTf = (backend: string): LoadedTf => {
  const handle: LoadedTf = {
    backend,
    get tf(): Tf {
      throw new Error(`TF.js (${backend}) runs on this node's ML threads; work on the event loop must load it first (onEventLoop)`)
    }
  }
  deferred.add(handle)
  return handle
}

/** TF.js loaded on this thread: `t` itself, or for a deferred one the process's TF.js, which must be the threads' backend. */
export const onEventLoop = async (t: LoadedTf): Promise<LoadedTf> => {
  if (!deferred.has(t)) return t
  const loaded = await loadTf()
  if (loaded.backend !== t.backend) throw new Error(`this node's ML threads run ${t.backend}, its event loop loaded ${loaded.backend}: a proof names one backend`)
  return loaded
}

export const loadTf = (prefer = process.env.TFJS_BACKEND): Promise<LoadedTf> => (loading ??= load(prefer))

const load = async (prefer: string | undefined): Promise<LoadedTf> => {
  if (prefer === undefined || prefer === "tensorflow") {
    try {
      const gpu = (await import("@tensorflow/tfjs-node-gpu" as string)) as Tf
      await gpu.ready()
      return { tf: gpu, backend: `${gpu.getBackend()}@${gpu.version_core}` }
    } catch {
      // Not installed here: fall through to wasm.
    }
  }
  const tf = await import("@tensorflow/tfjs")
  if (prefer !== "cpu") {
    try {
      const wasm = await import("@tensorflow/tfjs-backend-wasm")
      const require = createRequire(import.meta.url)
      wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"))}/dist/`)
      // Node has no cross-origin-isolated workers: single-threaded SIMD.
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false)
      registerWasmConv2DBackpropFilter(tf)
      if (await tf.setBackend("wasm")) {
        await tf.ready()
        return { tf, backend: `wasm${tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "-simd" : ""}@${tf.version_core}` }
      }
    } catch {
      // fall through to cpu
    }
  }
  await tf.setBackend("cpu")
  await tf.ready()
  return { tf, backend: `cpu@${tf.version_core}` }
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so a CNN cannot train
 * on it. This is that kernel, computed in plain JS over the tensors' memory
 * (NHWC) in a fixed summation order, so same-backend training stays
 * bit-reproducible (conv2dFilterGradient.ts).
 */
export const registerWasmConv2DBackpropFilter = (tf: Tf) => {
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as unknown as { x: { dataId: object; shape: number[]; dtype: string }; dy: { dataId: object; shape: number[]; dtype: string } }
      const a = attrs as unknown as {
        strides: number | [number, number]
        pad: "same" | "valid" | number
        dataFormat: "NHWC" | "NCHW"
        dimRoundingMode?: "floor" | "round" | "ceil"
        filterShape: [number, number, number, number]
      }
      if (a.dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter (wasm): only NHWC is supported")
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        "channelsLast"
      )
      type HeapTensor = { readonly dataId: object; readonly shape: ReadonlyArray<number>; readonly dtype: string }
      const b = backend as unknown as {
        makeOutput(shape: number[], dtype: "float32"): HeapTensor
        typedArrayFromHeap(t: HeapTensor): Float32Array
      }
      // Views on the backend's memory, not copies (readSync copied the inputs out and the
      // result back in: ~75 KB of new buffers a call on the digits CNN, which the ML threads'
      // collector then chased). The output first: allocating it may grow the memory, which
      // would detach views taken before.
      const out = b.makeOutput([...a.filterShape], "float32")
      const view = (t: HeapTensor) => {
        if (t.dtype !== "float32") throw new Error(`Conv2DBackpropFilter (wasm): ${t.dtype} tensors are not supported`)
        return b.typedArrayFromHeap(t)
      }
      const g = { ...info, padTop: info.padInfo.top, padLeft: info.padInfo.left }
      conv2dFilterGradient(view(x), view(dy), g, a.filterShape, view(out))
      return out as never
    }
  })
}

export type { Tf as TensorFlow }
