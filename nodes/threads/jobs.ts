import type { Hash32, Metrics } from "../../domain/primitives"
import type { LoadedTf } from "../../infra/ml/tf"
import { measureSamples, type MeasureJob } from "../infra/mlDeps"
import { replayLeavesOf, type ReplayJob } from "../infra/replay"
import { trainSteps, type Trained, type TrainingJob, type TrainingReport } from "../trainer/localTraining"

/**
 * The TF.js work a node hands to its ML threads, each with everything fetched
 * and hash-checked on the event loop: a trainer's training, a judge's replay
 * of an audited segment, a held-out measurement. Each runs the same function
 * the event loop would (so the answers are the same bytes).
 */
export type MlJob =
  | { readonly kind: "train"; readonly train: TrainingJob }
  | { readonly kind: "replay"; readonly replay: ReplayJob }
  | { readonly kind: "measure"; readonly measure: MeasureJob }

export interface MlAnswers {
  readonly train: Trained
  /** The leaf after every replayed step; undefined when the start state does not fit the model. */
  readonly replay: Array<Hash32> | undefined
  readonly measure: Metrics
}

export const runJob = async (tf: LoadedTf, job: MlJob, report: TrainingReport): Promise<MlAnswers[MlJob["kind"]]> => {
  switch (job.kind) {
    case "train":
      return trainSteps(tf, job.train, report)
    case "replay":
      return replayLeavesOf(tf, job.replay, report.working)
    case "measure":
      return measureSamples(tf, job.measure)
  }
}
