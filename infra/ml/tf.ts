import { createRequire } from "node:module"
import { dirname } from "node:path"

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
 * on it. This is that kernel: the filter gradient
 * dW[fh,fw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh − padTop + fh·dh, ow·sw − padLeft + fw·dw, ci] · dy[b,oh,ow,co]
 * computed in plain JS over the tensors' memory (NHWC). Deterministic
 * (fixed summation order), so same-backend training stays bit-reproducible.
 */
export const registerWasmConv2DBackpropFilter = (tf: Tf) => {
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as unknown as { x: { dataId: object; shape: number[] }; dy: { dataId: object; shape: number[] } }
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
      const b = backend as unknown as {
        readSync(id: object): Float32Array
        makeOutput(shape: number[], dtype: "float32", memoryOffset?: number, values?: Float32Array): unknown
      }
      const xs = b.readSync(x.dataId)
      const dys = b.readSync(dy.dataId)
      const [fh, fw, ci, co] = a.filterShape
      const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info
      const padTop = info.padInfo.top
      const padLeft = info.padInfo.left
      const out = new Float32Array(fh * fw * ci * co)
      for (let bi = 0; bi < batchSize; bi++) {
        for (let oh = 0; oh < outHeight; oh++) {
          for (let ow = 0; ow < outWidth; ow++) {
            const dyBase = ((bi * outHeight + oh) * outWidth + ow) * co
            for (let kh = 0; kh < fh; kh++) {
              const ih = oh * strideHeight - padTop + kh * dilationHeight
              if (ih < 0 || ih >= inHeight) continue
              for (let kw = 0; kw < fw; kw++) {
                const iw = ow * strideWidth - padLeft + kw * dilationWidth
                if (iw < 0 || iw >= inWidth) continue
                const xBase = ((bi * inHeight + ih) * inWidth + iw) * ci
                const wBase = (kh * fw + kw) * ci * co
                for (let c = 0; c < ci; c++) {
                  const xv = xs[xBase + c]!
                  if (xv === 0) continue
                  const row = wBase + c * co
                  for (let o = 0; o < co; o++) out[row + o]! += xv * dys[dyBase + o]!
                }
              }
            }
          }
        }
      }
      return b.makeOutput([fh, fw, ci, co], "float32", undefined, out) as never
    }
  })
}

export type { Tf as TensorFlow }
