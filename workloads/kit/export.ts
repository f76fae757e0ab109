import type { LayersModel } from "@tensorflow/tfjs"
import type { Tf } from "../../infra/ml/tf"

/**
 * A trained model as TF.js Layers artifacts (what `tf.loadLayersModel` reads
 * from a model.json with its weights inlined as base64): topology, weight
 * specs in order and the weights' bytes. Custom layers (the transformer's)
 * are named by their registered class names (Neura*), defined in
 * workloads/kit/transformer.ts.
 */
export interface ExportedModel {
  readonly format: "tfjs-layers-model"
  readonly modelTopology: unknown
  readonly weightSpecs: unknown
  readonly weightData: string
}

export const tfjsLayersExport = async (tf: Tf, model: LayersModel): Promise<ExportedModel> => {
  let saved: ExportedModel | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data as Array<ArrayBuffer>))
      saved = { format: "tfjs-layers-model", modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightData: Buffer.from(bytes).toString("base64") }
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } }
    })
  )
  if (!saved) throw new Error("the model was not saved")
  return saved
}
