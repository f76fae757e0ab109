import type { ExternalExecutor } from "../../infra/ml/externalExecutor"
import type { NatsConnection } from "@nats-io/transport-node"
import { Effect, Fiber, Stream } from "effect"
import { ApiError, type NeuraClient } from "../../commands/client"
import { model as modelDecider } from "../../domain/model"
import type { ModelEvent } from "../../domain/model/events"
import type { ModelState } from "../../domain/model/state"
import type { EventStore } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { task as taskDecider } from "../../domain/task"
import { scoring as scoringDecider } from "../../domain/scoring"
import type { ScoringEvent } from "../../domain/scoring/events"
import type { ScoringState } from "../../domain/scoring/state"
import type { TaskEvent } from "../../domain/task/events"
import { settleRound } from "../../domain/task/settle"
import { juryRulings } from "../../domain/task/jury"
import type { TaskData, TaskState } from "../../domain/task/state"
import { segmentAudit } from "../../domain/task/draw"
import type { Hash32, Metrics } from "../../domain/primitives"
import { requireWorkload } from "../../workloads/registry"
import { describeMetrics } from "../infra/mlDeps"
import { meetsObjective } from "../../domain/task/objective"
import type { LoadedTf } from "../../infra/ml/tf"
import type { WeightsStoreShape } from "../../infra/weights/WeightsStore"
import type { DataLibrary } from "../infra/dataLibrary"
import { heartbeatWildcard } from "../infra/heartbeat"
import { defaultWorkQueue, ensureNodeConsumer, publishWork, type WorkQueueConfig } from "../infra/workQueue"
import { makeReferee } from "./referee"
import type { Sightings } from "./liveness"
import { reconcileTask, type Action } from "./workflow"
import { routeAhead } from "./pipelining"
import { aggregation } from "./aggregation"
import type { MlThreads } from "../threads/pool"
import { modelVersionCommand } from "./modelVersion"
import { reconcileScorings } from "./scoringWorkflow"
import { describeFailure } from "../infra/describeFailure"
import { lastPaged } from "../../domain/pagedList"

/**
 * The coordinator: Task Dispatcher (a process manager), referee and round
 * aggregator. It folds the whole log with the aggregates' own `evolve`, asks
 * the pure workflow (workflow.ts) what each live task needs next, and does
 * it: send commands, route work to node queues, and close rounds (referee
 * contested results by re-executing their audited segment, FedAvg the
 * verified ones, CloseRound). A restart or a missed event changes nothing:
 * every action is idempotent.
 */
export interface CoordinatorDeps {
  readonly nc: NatsConnection
  readonly store: EventStore["Service"]
  readonly client: NeuraClient
  readonly weights: WeightsStoreShape
  readonly data: DataLibrary
  readonly tf: () => Promise<LoadedTf>
  /** Where the aggregator measures: these threads (a local network shares its pool), else the event loop. */
  readonly threads?: MlThreads
  /** The executor the referee replays PyTorch results with (a contest over one needs it). */
  readonly executor?: ExternalExecutor
  readonly queue?: WorkQueueConfig
  readonly capability?: string
  /** The coordinator's clock (heartbeat sightings, silence, round closing); injected by tests. */
  readonly now?: () => Date
  /** Fraction of the round's time after which an undelivered slot of a live trainer is reassigned once. */
  readonly reassignAfter?: number
  /** Route the next round's training while a round is verified (default on; see pipelining.ts). */
  readonly speculate?: boolean
  readonly log?: (line: string) => void
}

interface World {
  readonly tasks: Map<string, TaskState>
  readonly models: Map<string, ModelState>
  readonly scorings: Map<string, ScoringState>
}

export const startCoordinator = async (deps: CoordinatorDeps) => {
  const queue = deps.queue ?? defaultWorkQueue
  const now = deps.now ?? (() => new Date())
  const log = deps.log ?? (() => undefined)
  const world: World = { tasks: new Map(), models: new Map(), scorings: new Map() }
  const queues = new Set<string>()
  const published = new Set<string>()
  const closing = new Set<string>()
  // Failure detection: the last heartbeat of every node, in our clock.
  const lastSeen = new Map<string, number>()
  // Silence is measured from when we could hear: after our own connection
  // comes back, nobody's heartbeat could have reached us while it was down.
  let watchingSince = now().getTime()
  void (async () => {
    for await (const s of deps.nc.status()) if (s.type === "reconnect") watchingSince = now().getTime()
  })().catch(() => undefined)
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
    } else if (aggregate === "scoring") {
      world.scorings.set(e.stream, scoringDecider.evolve(world.scorings.get(e.stream) ?? scoringDecider.initialState, e.data as ScoringEvent))
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
  const workloadOf = (t: TaskData) => requireWorkload(t.config.workload)
  const { aggregateOf, measureAggregate } = aggregation({ weights: deps.weights, tf: deps.tf, data: deps.data, ...(deps.threads ? { threads: deps.threads } : {}), workloadOf, topologyOf })

  /** The actions every kind of work shares (queues, commands, work items); the rest are a task's. */
  const performCommon = async (action: Action) => {
    switch (action._tag) {
      case "EnsureQueue":
        await ensureNodeConsumer(deps.nc, action.nodeId, queue)
        queues.add(action.nodeId)
        return true
      case "Send":
        log(action.log)
        await send(action.type, action.payload, action.commandId)
        return true
      case "Publish":
        await publishWork(deps.nc, action.subject, action.work, action.msgID)
        published.add(action.msgID)
        return true
      default:
        return false
    }
  }

  const perform = async (t: TaskData, action: Action) => {
    if (await performCommon(action)) return
    switch (action._tag) {
      case "RefereeChallenge": {
        const c = t.challengeable.get(action.resultId as never)
        if (!c?.challenge) return
        const segment = c.challenge.segment
        const evidence = await referee.reexecute(t, c.proof, segmentAudit(segment, c.proof.checkpoints.interval, c.proof.steps))
        log(`${action.resultId}: refereed the challenge on segment ${segment}`)
        await send("ResolveChallenge", { taskId: t.taskId, resultId: action.resultId, endHash: evidence.endHash }, `resolve-${action.resultId}-${c.challenge.challenger}`)
        return
      }
      case "Speculate":
        // Marked first: a guess is made once, and one that fails is not retried (the round trains anyway).
        published.add(action.key)
        return routeAhead(t, action, {
          aggregate: (results) => aggregateOf(t, results),
          completes: async (weights) => {
            const metrics = await measureAggregate(t, weights)
            return { met: meetsObjective(metrics, t.config.objective), measured: describeMetrics(metrics) }
          },
          put: async (weights) => (await deps.weights.put(weights)) as Hash32,
          publish: (subject, work, msgID) => publishWork(deps.nc, subject, work, msgID),
          now,
          log
        })
      case "CloseRound": {
        const key = `${action.taskId}:${action.round}`
        if (closing.has(key)) return
        closing.add(key)
        try {
          await closeRound(t)
        } finally {
          closing.delete(key)
        }
      }
    }
  }

  const reconcileOne = async (t: TaskData & { status: string }) => {
    const actions = reconcileTask({
      task: t,
      topology: topologyOf(t),
      queues,
      published,
      seen: sightings(),
      capability: deps.capability ?? "tfjs",
      subjectPrefix: queue.subjectPrefix,
      reassignAfter: deps.reassignAfter ?? 0.5,
      speculate: deps.speculate ?? true
    })
    for (const action of actions) await perform(t, action)
  }

  const referee = makeReferee({
    replay: async () => ({ tf: await deps.tf(), weights: deps.weights, data: deps.data, ...(deps.executor ? { executor: deps.executor } : {}) }),
    runOf: (t, proof) => ({ proof, workload: workloadOf(t).id, topology: topologyOf(t)!, plan: t.config.training }),
    log
  })

  const closeRound = async (t: TaskData) => {
    const round = t.round!
    const taskId = t.taskId
    const rulings = await referee.rulingsFor(t)
    const jury = juryRulings(t, round.results.values())
    const settled = settleRound(round, rulings, now().toISOString(), t.config.criteria.penalizeRejected, jury.rulings)
    const verified = [...settled.results.values()].filter((r) => r.outcome === "verified").sort((a, b) => (a.resultId < b.resultId ? -1 : 1))
    let newVersion: { ref: { modelId: string; version: number }; metrics: Metrics; results: Array<string> } | undefined
    if (verified.length > 0) {
      const workload = workloadOf(t)
      const averaged = await aggregateOf(t, verified)
      const metrics = await measureAggregate(t, averaged)
      const weightsHash = await deps.weights.put(averaged)
      // Versions are linear: the parent is the model's latest (a version built for a verified set a late
      // contest then changed stays in the model's history, unreferenced); the command id names the set.
      const modelState = world.models.get(`model-${t.config.base.modelId}`)
      const latest = modelState && modelState.status !== "none" ? (lastPaged(modelState.versions)?.version ?? round.base.version) : round.base.version
      const command = modelVersionCommand(t, verified, latest, weightsHash, metrics)
      const created = await send("CreateModelVersion", command.payload, command.commandId)
      const version = created?.results[0]?.events[0]?.data.version as number | undefined
      if (version === undefined) return
      newVersion = { ref: { modelId: t.config.base.modelId, version }, metrics, results: verified.map((r) => r.resultId) }
      log(
        `${taskId} r${round.round}: ${workload.aggregate ? "aggregate" : "FedAvg"} of ${verified.length} verified result(s) → ${t.config.base.modelId}-v${version}, held-out ${describeMetrics(metrics)} (target ${t.config.objective.metric} ${t.config.objective.target})`
      )
    } else {
      log(`${taskId} r${round.round}: no verified result this round`)
    }
    for (const w of [...settled.provenWrong, ...jury.wrong]) log(`${taskId} r${round.round}: ruling proves ${w.nodeId} wrong on ${w.resultId}: ${w.reason}`)
    await send(
      "CloseRound",
      {
        taskId,
        round: round.round,
        ...(newVersion ? { newVersion } : {}),
        ...(rulings.length > 0 ? { rulings } : {})
      },
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
          // Finished tasks still matter while results await finality.
          if (state.status === "none" || (state.status !== "open" && state.status !== "running" && state.challengeable.size === 0)) continue
          try {
            await reconcileOne(state)
          } catch (e) {
            log(`${state.taskId}: reconcile failed, will retry: ${describeFailure(e)}`)
          }
        }
        await reconcileScorings(world, { queues, published, nowMs: now().getTime(), capability: deps.capability ?? "tfjs", subjectPrefix: queue.subjectPrefix }, performCommon, log)
      }
    })().finally(() => {
      running = undefined
    })
  }

  const head = await Effect.runPromise(deps.store.headPosition)
  if (head === 0) caughtUp = true
  const fiber = Effect.runFork(
    // A batch at a time (what the log had at hand): fold it all, then reconcile once.
    Stream.runForEachArray(deps.store.subscribe({ fromPosition: 1 }), (events) =>
      Effect.sync(() => {
        for (const event of events) {
          apply(event)
          if (!caughtUp && event.globalPosition >= head) caughtUp = true
        }
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
