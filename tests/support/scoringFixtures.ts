import type { DatasetId } from "../../domain/primitives"
import type { ScoringFacts } from "../../domain/scoring/commands"
import { hash32 } from "./events"
import { owner } from "./fixtures"

/** What the API would find for a digits model version and a registered validation set (RequestScoring's facts). */
export const scoringFacts = (datasetId: DatasetId, overrides: Partial<ScoringFacts> = {}): ScoringFacts => ({
  owner,
  modelStatus: "registered",
  workload: "digits",
  workloadMetrics: ["accuracy", "loss"],
  primaryMetric: "accuracy",
  workloadFormat: "digits-csv",
  artefact: { _tag: "Onnx", artefactHash: hash32(0xa1), inputs: [{ name: "input", shape: [null, 64], dtype: "float32" }], outputs: [{ name: "output", shape: [null, 10], dtype: "float32" }] },
  dataset: { datasetId, split: "validation", format: "digits-csv", contentHash: hash32(0xd0), sampleCount: 100, shards: [] },
  ...overrides
})
