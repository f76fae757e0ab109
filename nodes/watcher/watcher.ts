import type { ExternalExecutor } from "../../infra/ml/externalExecutor"
import { createHash } from "node:crypto"
import { Schema } from "effect"
import { DomainEvent } from "../../domain/events"
import { ApiError, type NeuraClient } from "../../commands/client"
import { model as modelDecider } from "../../domain/model"
import type { ModelEvent } from "../../domain/model/events"
import type { ModelState } from "../../domain/model/state"
import { task as taskDecider } from "../../domain/task"
import { checkpointLeaf } from "../../domain/task/commitments"
import { segmentAudit } from "../../domain/task/draw"
import type { TaskEvent } from "../../domain/task/events"
import type { Challengeable, TaskState } from "../../domain/task/state"
import type { LoadedTf } from "../../infra/ml/tf"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import type { DataLibrary } from "../infra/dataLibrary"
import { reexecuteSegment } from "../validator/verify"
import { followLogThroughApi } from "./logFollower"
import { describeFailure } from "../infra/describeFailure"

const decodeEvent = Schema.decodeUnknownSync(DomainEvent)

/**
 * A watcher: the honest staked node the challenge window relies on. It
 * follows the log (through the API's public read side: no NATS access to the
 * log needed) and, for every verified result of a task it takes part in
 * that is not final yet, re-executes one segment of its own choosing (drawn
 * from its secret key and the result, so nobody can predict it, and a
 * restart picks the same one). A segment that ends elsewhere than the trainer
 * committed is challenged; the referee's ruling pays the watcher from the
 * forger's stake.
 */
export interface WatcherDeps {
  readonly nodeId: string
  /** Signs as the watcher's node key; also how it reads the log (the API's public read side). */
  readonly client: NeuraClient
  readonly weights: WeightsStoreShape
  readonly data: DataLibrary
  readonly tf: () => Promise<LoadedTf>
  /** Replays results whose proof names its backend (PyTorch), as a judge does. */
  readonly executor?: ExternalExecutor
  readonly log?: (line: string) => void
  /** How often it asks the API for new events (1 s by default). */
  readonly pollMs?: number
}

export const startWatcher = async (deps: WatcherDeps) => {
  const log = deps.log ?? (() => undefined)
  const tasks = new Map<string, TaskState>()
  const models = new Map<string, ModelState>()
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
    const evidence = await reexecuteSegment(
      {
        proof: c.proof,
        audit: segmentAudit(segment, c.proof.checkpoints.interval, c.proof.steps),
        workload: state.config.workload ?? "digits",
        topology: topology.topology,
        plan: state.config.training
      },
      { tf: await deps.tf(), weights: deps.weights, data: deps.data, ...(deps.executor ? { executor: deps.executor } : {}) }
    )
    if (evidence.endHash === checkpointLeaf(c.proof.checkpoints.states[segment + 1]!)) {
      log(`${deps.nodeId}: watched ${c.resultId}: segment ${segment} reproduces`)
      return
    }
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
              log(`${deps.nodeId}: watching ${c.resultId} failed, will retry: ${describeFailure(e)}`)
            })
          }
        }
      }
    })().finally(() => {
      running = undefined
    })
  }
  // Events arrive encoded (JSON): decoded with the catalogue, so states fold exactly as the deciders' do.
  const following = followLogThroughApi(
    deps.client,
    (e) => {
      const [aggregate] = e.stream.split("-", 1)
      if (aggregate !== "task" && aggregate !== "model") return
      const data = decodeEvent(e.data)
      if (aggregate === "task") tasks.set(e.stream, taskDecider.evolve(tasks.get(e.stream) ?? taskDecider.initialState, data as TaskEvent))
      else models.set(e.stream, modelDecider.evolve(models.get(e.stream) ?? modelDecider.initialState, data as ModelEvent))
      reconcile()
    },
    { log, ...(deps.pollMs ? { pollMs: deps.pollMs } : {}) }
  )
  const timer = setInterval(reconcile, 1_000)
  return {
    async stop() {
      clearInterval(timer)
      await following.stop()
      await running
    }
  }
}
