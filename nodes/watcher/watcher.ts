import { createHash } from "node:crypto"
import { Effect, Fiber, Stream } from "effect"
import { ApiError, type NeuraClient } from "../../commands/client"
import { model as modelDecider } from "../../domain/model"
import type { ModelEvent } from "../../domain/model/events"
import type { ModelState } from "../../domain/model/state"
import type { EventStore } from "../../domain/ports"
import { task as taskDecider } from "../../domain/task"
import { checkpointLeaf } from "../../domain/task/commitments"
import { segmentBounds } from "../../domain/task/draw"
import type { TaskEvent } from "../../domain/task/events"
import type { Challengeable, TaskState } from "../../domain/task/state"
import type { LoadedTf } from "../../infra/ml/tf"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import type { DataLibrary } from "../infra/dataLibrary"
import { reexecuteSegment } from "../validator/verify"

/**
 * A watcher: the honest staked node the challenge window relies on. It
 * follows the log and, for every verified result of a task it takes part in
 * that is not final yet, re-executes one segment of its own choosing (drawn
 * from its secret key and the result, so nobody can predict it, and a
 * restart picks the same one). A segment that ends elsewhere than the trainer
 * committed is challenged; the referee's ruling pays the watcher from the
 * forger's stake.
 */
export interface WatcherDeps {
  readonly nodeId: string
  /** Signs as the watcher's node key. */
  readonly client: NeuraClient
  readonly store: EventStore["Service"]
  readonly weights: WeightsStoreShape
  readonly data: DataLibrary
  readonly tf: () => Promise<LoadedTf>
  readonly log?: (line: string) => void
}

export const startWatcher = async (deps: WatcherDeps) => {
  const log = deps.log ?? (() => undefined)
  const tasks = new Map<string, TaskState>()
  const models = new Map<string, ModelState>()
  const classCounts = new Map<string, number>()
  const watched = new Set<string>()
  const segmentFor = (c: Challengeable) => {
    const segments = c.proof.checkpoints.states.length - 1
    const h = createHash("sha256").update("neuralink-watch:").update(deps.client.key.secretKey).update(`:${c.resultId}`).digest()
    return h.readUInt32BE(0) % segments
  }
  const watch = async (state: TaskState, c: Challengeable) => {
    if (state.status === "none" || c.challenge || c.nodeId === deps.nodeId) return
    const topology = models.get(`model-${state.config.base.modelId}`)
    if (!topology || topology.status === "none") return
    const segment = segmentFor(c)
    const { from, to } = segmentBounds(segment, c.proof.checkpoints.interval, c.proof.steps)
    const evidence = await reexecuteSegment(
      {
        proof: c.proof,
        audit: { segment, probeStep: to - from >= 2 ? from + 1 : to },
        topology: topology.topology,
        shards: c.proof.shardIds.map((shardId, i) => ({ shardId, contentHash: c.proof.shardHashes[i]! })),
        plan: state.config.training,
        classCount: classCounts.get(state.config.validation.datasetId) ?? 10
      },
      { tf: await deps.tf(), weights: deps.weights, data: deps.data }
    )
    if (evidence.endHash === checkpointLeaf(c.proof.checkpoints.states[segment + 1]!)) return
    log(`${deps.nodeId}: ${c.resultId} segment ${segment} does not reproduce; challenging`)
    await deps.client
      .command("ChallengeResult", { taskId: state.taskId, resultId: c.resultId, nodeId: deps.nodeId, segment, endHash: evidence.endHash }, { commandId: `challenge-${c.resultId}-${deps.nodeId}` })
      .catch((e: unknown) => {
        // Someone challenged first, or the window closed: nothing to do.
        if (!(e instanceof ApiError && e.status === 409)) throw e
      })
  }

  let running: Promise<void> | undefined
  let dirty = false
  const reconcile = () => {
    dirty = true
    if (running) return
    running = (async () => {
      while (dirty) {
        dirty = false
        for (const state of [...tasks.values()]) {
          if (state.status === "none" || !state.participants.has(deps.nodeId as never)) continue
          for (const c of state.challengeable.values()) {
            if (watched.has(c.resultId)) continue
            watched.add(c.resultId)
            await watch(state, c).catch((e: unknown) => {
              watched.delete(c.resultId)
              log(`${deps.nodeId}: watching ${c.resultId} failed, will retry: ${e instanceof Error ? e.message : String(e)}`)
            })
          }
        }
      }
    })().finally(() => {
      running = undefined
    })
  }
  const fiber = Effect.runFork(
    Stream.runForEach(deps.store.subscribe({ fromPosition: 1 }), (e) =>
      Effect.sync(() => {
        const [aggregate] = e.stream.split("-", 1)
        if (aggregate === "task") tasks.set(e.stream, taskDecider.evolve(tasks.get(e.stream) ?? taskDecider.initialState, e.data as TaskEvent))
        else if (aggregate === "model") models.set(e.stream, modelDecider.evolve(models.get(e.stream) ?? modelDecider.initialState, e.data as ModelEvent))
        else if (e.data._tag === "DatasetRegistered") classCounts.set(e.data.datasetId, e.data.classCount)
        else return
        reconcile()
      })
    )
  )
  const timer = setInterval(reconcile, 1_000)
  return {
    async stop() {
      clearInterval(timer)
      await Effect.runPromise(Fiber.interrupt(fiber))
      await running
    }
  }
}
