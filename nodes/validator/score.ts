import type { Metrics } from "../../domain/primitives"
import { openOnnx } from "../../infra/ml/onnxRuntime"
import { requireWorkload } from "../../workloads/registry"
import { measureWeights, type MlNodeDeps } from "../infra/mlDeps"
import type { ScoreWork } from "../workItems"
import type { ValidatorBehaviour } from "./verify"

/**
 * A judge's measurement of a model version on the validation set: an ONNX
 * artefact runs in onnxruntime (fed and read by its manifest's names, through
 * the workload's evaluateForeign), a Layers one in TF.js (the workload's
 * evaluate). Every byte comes from a store that checks it against its hash.
 * "lazy" reports a flattering number without running anything.
 */
export const scoreWork = async (item: ScoreWork, deps: MlNodeDeps<ValidatorBehaviour>): Promise<Metrics> => {
  const workload = requireWorkload(item.workload)
  if (deps.behaviour === "lazy") return { [workload.primaryMetric]: 0.99, loss: 0.01 }
  deps.working?.()
  const artefact = item.artefact
  if (artefact._tag === "Onnx") {
    const samples = await deps.data.samples(workload, item.topology, [item.validationHash])
    if (!workload.evaluateForeign) throw new Error(`workload ${workload.id} cannot measure ONNX models`)
    const session = await openOnnx(await deps.weights.get(artefact.artefactHash), { inputs: artefact.inputs.map((t) => t.name), outputs: artefact.outputs.map((t) => t.name) })
    try {
      return await workload.evaluateForeign(samples, (inputs) => {
        deps.working?.()
        return session.run(inputs)
      })
    } finally {
      await session.close()
    }
  }
  return measureWeights(deps, workload, item.topology, await deps.weights.get(artefact.weightsHash), item.validationHash)
}
