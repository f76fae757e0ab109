import type { NeuraModelManifest } from "../../domain/model/manifest"

/** neura-model.json of a digits classifier (input 64 counts / 16, 10 class probabilities), with changes. */
export const digitsManifest = (change: Partial<NeuraModelManifest> = {}): NeuraModelManifest => ({
  manifestVersion: 1,
  framework: "onnx",
  artefact: "digits-mlp.onnx",
  workload: "digits",
  metric: "accuracy",
  inputs: [{ name: "input", shape: [null, 64], dtype: "float32" }],
  outputs: [{ name: "output", shape: [null, 10], dtype: "float32" }],
  preprocessing: "pixel-counts-over-16",
  postprocessing: "class-probabilities",
  ...change
})
