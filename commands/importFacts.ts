import { Effect } from "effect"
import { opaqueTopology, type ImportConversion, type NeuraModelManifest } from "../domain/model/manifest"
import type { Hash32 } from "../domain/primitives"
import { getWeightBytes } from "../infra/ml/model"
import { loadTf } from "../infra/ml/tf"
import { OnnxNotRunnable, openOnnx } from "../infra/ml/onnxRuntime"
import type { Workload } from "../workloads/workload"
import { weightsMissing, type WeightsStoreShape } from "../infra/weights/WeightsStore"
import { importArtefact, ImportProblem, manifestProblem } from "../workloads/kit/importers"
import { workloads } from "../workloads/registry"
import { ArtefactNotFound } from "./apiErrors"
import { topologyHash } from "./facts"

/**
 * The facts an ImportModel decision needs: the submitted artefact (by hash,
 * from the weights store) checked against its manifest and converted to a
 * Layers model of the claimed workload, whose weights are stored (content
 * addressed, so a refused command leaves nothing but unreferenced bytes).
 * A missing artefact is the caller's mistake (400 ArtefactNotFound); an
 * unreachable store is nobody's verdict (500, retried by the client).
 */
export const artefactConverter =
  (weights: WeightsStoreShape) =>
  (manifest: NeuraModelManifest, artefactHash: string): Effect.Effect<ImportConversion, ArtefactNotFound> =>
    Effect.tryPromise({
      try: async (): Promise<ImportConversion | ArtefactNotFound> => {
        const workload = workloads.get(manifest.workload)
        const problem = manifestProblem(manifest, workload)
        if (problem || !workload) return { _tag: "Refused", reason: problem ?? "unknown workload" }
        let bytes: Uint8Array
        try {
          bytes = await weights.get(artefactHash)
        } catch (e) {
          if (weightsMissing(e)) return new ArtefactNotFound({ artefactHash })
          throw e
        }
        const { tf } = await loadTf()
        try {
          const model = await importArtefact(tf, manifest, workload, bytes)
          const topology = model.toJSON(null, false) as Record<string, unknown>
          const weightsHash = (await weights.put(getWeightBytes(model))) as Hash32
          model.dispose()
          return { _tag: "Converted", topology, topologyHash: topologyHash(topology), weightsHash }
        } catch (e) {
          if (!(e instanceof ImportProblem)) throw e
          if (manifest.framework !== "onnx") return { _tag: "Refused", reason: e.message }
          // Not convertible, but maybe runnable as it is: an opaque model (scored, forked, published; not trained).
          const unrunnable = await opaqueProblem(manifest, workload, bytes)
          if (unrunnable) return { _tag: "Refused", reason: `${e.message}; and it cannot be kept as an opaque ONNX model: ${unrunnable}` }
          const topology = opaqueTopology(manifest, e.message)
          return { _tag: "Opaque", topology, topologyHash: topologyHash(topology), weightsHash: artefactHash as Hash32, reason: e.message }
        }
      },
      catch: (e) => e
    }).pipe(
      Effect.orDie,
      Effect.flatMap((r) => (r instanceof ArtefactNotFound ? Effect.fail(r) : Effect.succeed(r)))
    )

/**
 * Why onnxruntime cannot run an ONNX file as its manifest describes it for
 * the workload, or undefined: it loads, has the named inputs and outputs,
 * and answers one zero sample with the declared output size.
 */
const opaqueProblem = async (manifest: NeuraModelManifest, workload: Workload, bytes: Uint8Array): Promise<string | undefined> => {
  if (!workload.evaluateForeign) return `workload ${workload.id} cannot measure models it does not build`
  const size = (shape: ReadonlyArray<number | null>) => shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1)
  try {
    const session = await openOnnx(bytes, { inputs: manifest.inputs.map((t) => t.name), outputs: manifest.outputs.map((t) => t.name) })
    try {
      const outputs = await session.run(manifest.inputs.map((t) => ({ data: new Float32Array(size(t.shape)), dims: [1, ...t.shape.slice(1).map((d) => d ?? 1)] })))
      const wrong = manifest.outputs.findIndex((t, i) => outputs[i]!.length !== size(t.shape))
      return wrong < 0 ? undefined : `output ${manifest.outputs[wrong]!.name} has ${outputs[wrong]!.length} values per sample, the manifest says ${size(manifest.outputs[wrong]!.shape)}`
    } finally {
      await session.close()
    }
  } catch (e) {
    if (e instanceof OnnxNotRunnable) return e.message
    return `onnxruntime fails on one sample: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`
  }
}
