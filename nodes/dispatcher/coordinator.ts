import type { NatsConnection } from "@nats-io/transport-node"
import { Effect, Fiber, Stream } from "effect"
import { ApiError, type NeuraClient } from "../../commands/client"
import type { DatasetEvent } from "../../domain/dataset/events"
import { model as modelDecider } from "../../domain/model"
import type { ModelEvent } from "../../domain/model/events"
import type { ModelState } from "../../domain/model/state"
import type { EventStore } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { task as taskDecider } from "../../domain/task"
import type { TaskEvent } from "../../domain/task/events"
import type { ResultState, TaskData, TaskState } from "../../domain/task/state"
import { sameWork } from "../../domain/task/work"
import { buildModel, evaluate, fedAvg, predictionsDigest, setWeightBytes } from "../../infra/ml/model"
import type { LoadedTf } from "../../infra/ml/tf"
import type { DataLibrary } from "../infra/dataLibrary"
import { ensureNodeConsumer, publishWork, defaultWorkQueue, type WorkQueueConfig } from "../infra/workQueue"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import { workSubject, type TrainWork, type VerifyWork } from "../workItems"
import { heartbeatWildcard } from "../infra/heartbeat"
import { isSilent, slotsToReassign, validatorsToReplace, type Sightings } from "./liveness"
import { planRound, roundCanClose } from "./plan"

/**
 * The coordinator: Task Dispatcher (a process manager) and round aggregator.
 *
 * It folds the whole log with the aggregates' own `evolve` and then
 * reconciles: looking at the current state of every live task it does what
 * is missing (start the next round, dispatch it, route training and
 * verification work to each node's queue, reassign a slot whose trainer went
 * quiet, aggregate and close a finished round). Level-triggered rather than
 * edge-triggered, so a restart or a missed event changes nothing: every
 * command it sends has a deterministic id (a repeat is an idempotent no-op)
 * and every work item a deterministic msgID.
 */
export interface CoordinatorDeps {
  readonly nc: NatsConnection
  readonly store: EventStore["Service"]
  readonly client: NeuraClient
  readonly weights: WeightsStoreShape
  readonly data: DataLibrary
  readonly tf: () => Promise<LoadedTf>
  readonly queue?: WorkQueueConfig
  readonly capability?: string
  /** The coordinator's clock (heartbeat sightings, silence, round closing); injected by tests. */
  readonly now?: () => Date
  /** Fraction of the round's time after which an undelivered slot of a live trainer is reassigned once. */
  readonly reassignAfter?: number
  readonly log?: (line: string) => void
}

interface World {
  readonly tasks: Map<string, TaskState>
  readonly models: Map<string, ModelState>
  readonly classCounts: Map<string, number>
}

export const startCoordinator = async (deps: CoordinatorDeps) => {
  const queue = deps.queue ?? defaultWorkQueue
  const capability = deps.capability ?? "tfjs"
  const now = deps.now ?? (() => new Date())
  const log = deps.log ?? (() => undefined)
  const world: World = { tasks: new Map(), models: new Map(), classCounts: new Map() }
  const consumersEnsured = new Set<string>()
  const published = new Set<string>()
  const closing = new Set<string>()
  // Failure detection: the last heartbeat of every node, in our clock.
  const lastSeen = new Map<string, number>()
  const watchingSince = now().getTime()
  const heartbeats = deps.nc.subscribe(heartbeatWildcard(queue), {
    callback: (error, msg) => {
      if (!error) lastSeen.set(msg.subject.slice(msg.subject.lastIndexOf(".") + 1), now().getTime())
    }
  })
  const sightings = (): Sightings => ({ lastSeen, watchingSince, nowMs: now().getTime() })

  const apply = (e: RecordedEvent) => {
    const [aggregate] = e.stream.split("-", 1)
    if (aggregate === "task") {
      world.tasks.set(e.stream, taskDecider.evolve(world.tasks.get(e.stream) ?? taskDecider.initialState, e.data as TaskEvent))
    } else if (aggregate === "model") {
      world.models.set(e.stream, modelDecider.evolve(world.models.get(e.stream) ?? modelDecider.initialState, e.data as ModelEvent))
    } else if (aggregate === "dataset" && e.data._tag === "DatasetRegistered") {
      const d = e.data as Extract<DatasetEvent, { _tag: "DatasetRegistered" }>
      world.classCounts.set(d.datasetId, d.classCount)
    }
  }

  /** Send a command; an idempotent repeat or a state that moved on is fine, anything else is logged. */
  const send = async (type: string, payload: unknown, commandId: string) => {
    try {
      return await deps.client.command(type, payload, { commandId })
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return undefined
      throw e
    }
  }

  const topologyOf = (t: TaskData) => {
    const m = world.models.get(`model-${t.config.base.modelId}`)
    return m && m.status !== "none" ? m.topology : undefined
  }
  const classCountOf = (t: TaskData) => world.classCounts.get(t.config.validation.datasetId) ?? 10

  const reconcileTask = async (t: TaskData & { status: string }) => {
    const taskId = t.taskId
    const c = t.config.criteria
    for (const p of t.participants.values()) {
      if (consumersEnsured.has(p.nodeId)) continue
      await ensureNodeConsumer(deps.nc, p.nodeId, queue)
      consumersEnsured.add(p.nodeId)
    }
    const trainers = [...t.participants.values()].filter((p) => p.role === "trainer").length
    const validators = [...t.participants.values()].filter((p) => p.role === "validator").length

    if (t.status === "open") {
      if (t.roundsStarted < c.maxRounds && trainers >= c.minTrainers && validators >= c.validatorsPerResult) {
        const round = t.roundsStarted + 1
        log(`${taskId}: starting round ${round}`)
        await send("StartRound", { taskId, round }, `start-${taskId}-r${round}`)
      }
      return
    }
    if (t.status !== "running" || !t.round) return
    const round = t.round
    const topology = topologyOf(t)
    if (!topology) return

    if (round.assignments.length === 0) {
      const assignments = planRound(t, round.round)
      log(`${taskId} r${round.round}: dispatching ${assignments.length} slots to ${[...new Set(assignments.map((a) => a.nodeId))].join(", ")}`)
      await send("DispatchTraining", { taskId, round: round.round, assignments }, `dispatch-${taskId}-r${round.round}`)
      return
    }

    const shardHash = new Map(t.config.trainingShards.map((s) => [s.shardId as string, s.contentHash]))
    const plan = t.config.training
    const results = [...round.results.values()]
    for (const a of round.assignments) {
      const msgID = `train-${taskId}-r${round.round}-s${a.slot}-${a.nodeId}`
      // Delivered work is never routed again (a restarted coordinator past the
      // queue's duplicate window would otherwise have it trained twice).
      if (published.has(msgID) || results.some((r) => r.nodeId === a.nodeId && sameWork(r.proof, a))) continue
      const work: TrainWork = {
        _tag: "TrainWork",
        taskId: t.taskId,
        round: round.round,
        slot: a.slot,
        nodeId: a.nodeId,
        modelId: t.config.base.modelId,
        topology,
        baseWeightsHash: round.base.weightsHash,
        shards: a.shardIds.map((shardId) => ({ shardId, contentHash: shardHash.get(shardId)! as never })),
        seed: a.seed,
        plan,
        validationHash: t.config.validation.contentHash,
        classCount: classCountOf(t),
        deadline: round.deadline
      }
      await publishWork(deps.nc, workSubject("train", capability, a.nodeId, queue.subjectPrefix), work, msgID)
      published.add(msgID)
    }

    for (const r of results) {
      if (r.outcome) continue
      for (const validator of r.validators) {
        if (r.votes.some((v) => v.nodeId === validator)) continue
        const msgID = `verify-${r.resultId}-${validator}`
        if (published.has(msgID)) continue
        const work: VerifyWork = {
          _tag: "VerifyWork",
          taskId: t.taskId,
          round: round.round,
          resultId: r.resultId,
          nodeId: validator,
          trainerNodeId: r.nodeId,
          topology,
          proof: r.proof,
          shards: r.proof.shardIds.map((shardId, i) => ({ shardId, contentHash: r.proof.shardHashes[i]! })),
          plan,
          validationHash: t.config.validation.contentHash,
          classCount: classCountOf(t),
          metricTolerance: c.metricTolerance,
          reproducibilityTolerance: c.reproducibilityTolerance
        }
        await publishWork(deps.nc, workSubject("verify", capability, validator, queue.subjectPrefix), work, msgID)
        published.add(msgID)
      }
    }

    // Failure detection: hand a silent (or, at half the round, late) trainer's
    // slot to a live trainer, and a silent validator's judgement to a live one.
    const seen = sightings()
    for (const h of slotsToReassign(t, round, results, seen, c.roundDeadlineSeconds, deps.reassignAfter ?? 0.5)) {
      log(`${taskId} r${round.round}: slot ${h.assignment.slot} not delivered by ${h.from} (${h.why}); reassigning to ${h.to}`)
      await send("DispatchTraining", { taskId, round: round.round, assignments: [h.assignment] }, `reassign-${taskId}-r${round.round}-s${h.assignment.slot}-${h.attempt}`)
    }
    for (const h of validatorsToReplace(t, results, seen)) {
      log(`${taskId} r${round.round}: validator ${h.nodeId} silent on ${h.resultId}; replacing it with ${h.replacement}`)
      await send("ReplaceValidator", { taskId, round: round.round, resultId: h.resultId, nodeId: h.nodeId, replacement: h.replacement }, `replace-${h.resultId}-${h.nodeId}`)
    }
    const nowMs = seen.nowMs

    if (roundCanClose(round, results, c.roundDeadlineSeconds, nowMs, (n) => isSilent(n, -Infinity, seen))) {
      const key = `${taskId}:${round.round}`
      if (closing.has(key)) return
      closing.add(key)
      try {
        await closeRound(t, results)
      } finally {
        closing.delete(key)
      }
    }
  }

  const closeRound = async (t: TaskData, results: ReadonlyArray<ResultState>) => {
    const round = t.round!
    const taskId = t.taskId
    const { tf } = await deps.tf()
    const topology = topologyOf(t)!
    const heldOut = deps.data.samples([t.config.validation.contentHash])
    const classes = classCountOf(t)
    const model = await buildModel(tf, topology)

    // Re-check every vote's evidence: a validator that did not compute cannot
    // produce the predictions digest of the weights it voted on.
    const disputedVotes: Array<{ resultId: string; nodeId: string; reason: string }> = []
    const weightsOf = new Map<string, Uint8Array>()
    for (const r of results) {
      const bytes = await deps.weights.get(r.proof.weightsHash).catch(() => undefined)
      if (bytes) weightsOf.set(r.resultId, bytes)
      if (r.votes.length === 0) continue
      let predicted: Int32Array | undefined
      if (bytes) {
        setWeightBytes(tf, model, bytes)
        predicted = evaluate(tf, model, heldOut, classes).predicted
      }
      for (const v of r.votes) {
        // Without the weights nobody could have computed predictions; a
        // "reject" for missing weights needs no digest.
        if (!predicted) continue
        const expected = predictionsDigest(v.nodeId, predicted)
        if (v.predictionsDigest !== expected) disputedVotes.push({ resultId: r.resultId, nodeId: v.nodeId, reason: "predictions digest does not match the weights voted on" })
      }
    }

    const verified = results.filter((r) => r.outcome === "verified").sort((a, b) => (a.resultId < b.resultId ? -1 : 1))
    let newVersion: { ref: { modelId: string; version: number }; metrics: { accuracy: number; loss: number } } | undefined
    if (verified.length > 0) {
      const averaged = fedAvg(verified.map((r) => ({ bytes: weightsOf.get(r.resultId)!, samples: r.proof.sampleCount })))
      setWeightBytes(tf, model, averaged)
      const measured = evaluate(tf, model, heldOut, classes)
      const weightsHash = await deps.weights.put(averaged)
      const metrics = { accuracy: measured.accuracy, loss: measured.loss }
      const created = await send(
        "CreateModelVersion",
        {
          modelId: t.config.base.modelId,
          parentVersion: round.base.version,
          weightsHash,
          lineage: {
            taskId,
            round: round.round,
            results: verified.map((r) => r.resultId),
            datasets: [...new Set(t.config.trainingShards.filter((s) => verified.some((r) => r.proof.shardIds.includes(s.shardId))).map((s) => s.datasetId))],
            nodes: [...new Set(verified.map((r) => r.nodeId))]
          },
          metrics
        },
        `version-${taskId}-r${round.round}`
      )
      const version = created?.results[0]?.events[0]?.data.version as number | undefined
      if (version === undefined) {
        model.dispose()
        return
      }
      newVersion = { ref: { modelId: t.config.base.modelId, version }, metrics }
      log(
        `${taskId} r${round.round}: FedAvg of ${verified.length} verified result(s) → ${t.config.base.modelId}-v${version}, held-out accuracy ${metrics.accuracy.toFixed(4)} (target ${t.config.objective.target})`
      )
    } else {
      log(`${taskId} r${round.round}: no verified result this round`)
    }
    model.dispose()
    if (disputedVotes.length > 0) log(`${taskId} r${round.round}: disputed votes (not computed): ${disputedVotes.map((d) => d.nodeId).join(", ")}`)
    await send(
      "CloseRound",
      { taskId, round: round.round, ...(newVersion ? { newVersion } : {}), ...(disputedVotes.length > 0 ? { disputedVotes } : {}) },
      `close-${taskId}-r${round.round}`
    )
  }

  // ---- the loop: fold the log, reconcile when caught up and on a timer -------
  let caughtUp = false
  let dirty = true
  let running: Promise<void> | undefined
  const reconcile = () => {
    dirty = true
    if (running || !caughtUp) return
    running = (async () => {
      while (dirty) {
        dirty = false
        for (const state of [...world.tasks.values()]) {
          if (state.status !== "open" && state.status !== "running") continue
          try {
            await reconcileTask(state)
          } catch (e) {
            log(`${state.taskId}: reconcile failed, will retry: ${e instanceof Error ? e.message : String(e)}`)
          }
        }
      }
    })().finally(() => {
      running = undefined
    })
  }

  const head = await Effect.runPromise(deps.store.headPosition)
  if (head === 0) caughtUp = true
  const fiber = Effect.runFork(
    Stream.runForEach(deps.store.subscribe({ fromPosition: 1 }), (event) =>
      Effect.sync(() => {
        apply(event)
        if (!caughtUp && event.globalPosition >= head) caughtUp = true
        reconcile()
      })
    )
  )
  const timer = setInterval(reconcile, 500)
  reconcile()
  return {
    world,
    /** Last heartbeat per node in the coordinator's clock (read-only view, for tests and diagnostics). */
    lastSeen: lastSeen as ReadonlyMap<string, number>,
    async stop() {
      clearInterval(timer)
      heartbeats.unsubscribe()
      await Effect.runPromise(Fiber.interrupt(fiber))
      await running
    }
  }
}
