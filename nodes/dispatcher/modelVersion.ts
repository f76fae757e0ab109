import { createHash } from "node:crypto"
import type { Metrics } from "../../domain/primitives"
import type { ResultState, TaskData } from "../../domain/task/state"

/**
 * The `CreateModelVersion` a round's verified results make (pure): the
 * parent given, the lineage (task, round, results, the datasets of their
 * shards, their nodes) from the log's state. The command id names the
 * verified set, so a retry is a no-op and a different set (a late contest
 * changed it) is a different version.
 */
export const modelVersionCommand = (t: TaskData, verified: ReadonlyArray<ResultState>, parentVersion: number, weightsHash: string, metrics: Metrics) => {
  const round = t.round!.round
  const setId = createHash("sha256").update(verified.map((r) => r.resultId).join(",")).digest("hex").slice(0, 12)
  return {
    payload: {
      modelId: t.config.base.modelId,
      parentVersion,
      weightsHash,
      lineage: {
        taskId: t.taskId,
        round,
        results: verified.map((r) => r.resultId),
        datasets: [...new Set(t.config.trainingShards.filter((s) => verified.some((r) => r.proof.shardIds.includes(s.shardId))).map((s) => s.datasetId))],
        nodes: [...new Set(verified.map((r) => r.nodeId))]
      },
      metrics
    },
    commandId: `version-${t.taskId}-r${round}-${setId}`
  }
}
