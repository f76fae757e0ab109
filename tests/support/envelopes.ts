import type { DomainEvent } from "../../domain/events"
import type { Hash32 } from "../../domain/primitives"
import type { RecordedEvent } from "../../domain/recordedEvent"

/** Wrap commits of domain events into recorded envelopes (positions in order) for projection specs. */
export const recorded = (commits: ReadonlyArray<ReadonlyArray<DomainEvent>>, stream = (e: DomainEvent) => streamOf(e)): Array<RecordedEvent> =>
  commits.flatMap((events, c) =>
    events.map((data, i) => ({
      id: `e${c}-${i}`,
      type: data._tag,
      stream: stream(data),
      streamPosition: 0,
      globalPosition: c + 1,
      indexInCommit: i,
      commitSize: events.length,
      recordedAt: "2026-11-24T10:00:00.000Z",
      data,
      metadata: { commandId: `c${c}` },
      prevHash: `0x${"00".repeat(32)}` as Hash32,
      hash: `0x${"00".repeat(32)}` as Hash32
    }))
  )

const streamOf = (e: DomainEvent): string => {
  const d = e as Record<string, unknown>
  if (typeof d.taskId === "string" && !("modelId" in d)) return `task-${d.taskId}`
  if (typeof d.modelId === "string") return `model-${d.modelId}`
  if (typeof d.nodeId === "string") return `node-${d.nodeId}`
  if (typeof d.datasetId === "string") return `dataset-${d.datasetId}`
  return "misc-x"
}
