import { Effect } from "effect"
import type { ImportConversion, NeuraModelManifest } from "../domain/model/manifest"
import type { Hash32 } from "../domain/primitives"
import { getWeightBytes } from "../infra/ml/model"
import { loadTf } from "../infra/ml/tf"
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
          if (e instanceof ImportProblem) return { _tag: "Refused", reason: e.message }
          throw e
        }
      },
      catch: (e) => e
    }).pipe(
      Effect.orDie,
      Effect.flatMap((r) => (r instanceof ArtefactNotFound ? Effect.fail(r) : Effect.succeed(r)))
    )
