import * as tf from "@tensorflow/tfjs"
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm"
import { createRequire } from "node:module"
import { dirname } from "node:path"
const require = createRequire(import.meta.url)
const dir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist/"
tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false)
setWasmPaths(dir)
const ok = await tf.setBackend("wasm")
console.log("wasm ok", ok, tf.getBackend(), tf.env().getBool("WASM_HAS_SIMD_SUPPORT"))
const x = tf.tensor2d([[1, 2], [3, 4]]); x.matMul(x).print()
