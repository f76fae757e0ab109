import { shardLibrary } from "../nodes/infra/dataLibrary"
import { DATASETS_BUCKET } from "../infra/nats/provision"
import type { NatsConnection } from "@nats-io/transport-node"
import { Effect, Fiber, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { httpTransport, NeuraClient } from "../commands/client"
import type { EventStore } from "../domain/ports"
import type { RecordedEvent } from "../domain/recordedEvent"
import { loadTf } from "../infra/ml/tf"
import { startLocalNetwork } from "../nodes/localNetwork"
import { objectStoreWeights, splitWeightsStore } from "../infra/weights/WeightsStore"
import { apiWeightsWriter } from "../commands/weightsClient"
import type { NodeSpec } from "../nodes/localNetwork"
import { createDigitsTask, optIn } from "../nodes/workloadTask"
import { devKey } from "../commands/samples"

/**
 * The demo the main command runs: a digits classifier trained by the
 * network with no human in the loop. An owner puts the task up (model,
 * content-hashed data, budget); two trainers and three validators opt in;
 * the coordinator runs rounds; progress is printed round by round from the
 * live event log; at the end, the payouts and the hash chain's verdict.
 */
/** A fresh run id and the demo's nodes: two trainers, three validators, each with its own key. */
export const demoNodes = (): { run: string; nodes: ReadonlyArray<NodeSpec> } => {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`
  const nodes = [
    { nodeId: `trainerA-${run}`, role: "trainer" as const },
    { nodeId: `trainerB-${run}`, role: "trainer" as const },
    { nodeId: `validator1-${run}`, role: "validator" as const },
    { nodeId: `validator2-${run}`, role: "validator" as const },
    // validator3 also watches results through their challenge window.
    { nodeId: `validator3-${run}`, role: "validator" as const, watch: true }
  ].map((n) => ({ ...n, key: devKey(n.nodeId) }))
  return { run, nodes }
}

export const runDemo = async (options: {
  readonly apiUrl: string
  readonly store: EventStore["Service"]
  /** The coordinator's connection, and a connection per node as its own NATS user. */
  readonly connections: { readonly coordinator: NatsConnection; readonly node: (node: NodeSpec) => Promise<NatsConnection> }
  readonly target?: number
  /** This run's id and its nodes (see demoNodes): the caller gives each its NATS identity first. */
  readonly run: string
  readonly nodes: ReadonlyArray<NodeSpec>
  /** With on-chain settlement: back the task's budget and the nodes' stake with deposits (recorded) before they are used. */
  readonly backing?: {
    readonly task: (taskId: string, budget: bigint) => Promise<void>
    readonly stakes: (nodes: ReadonlyArray<NodeSpec>) => Promise<void>
    /** Once the task has ended and every reward is final: wait for its on-chain settlement and claim every payee's share. */
    readonly settled: (taskId: string, say: (line: string) => void) => Promise<void>
  }
  /** Where lines go: `shown` ones are the demo's narrative, the rest the network's detail (default: the narrative on the console). */
  readonly log?: (component: string, line: string, shown: boolean) => void
}) => {
  const run = options.run
  const log = options.log ?? ((component, line, shown) => shown && console.log(`[${component}] ${line}`))
  const say = (line: string) => log("demo", line, true)
  const owner = new NeuraClient(httpTransport(options.apiUrl), devKey("owner"))
  // Weights are read from the object store and uploaded through the API (its only writer).
  const weights = splitWeightsStore(
    await objectStoreWeights(options.connections.coordinator),
    apiWeightsWriter(httpTransport(options.apiUrl), devKey("coordinator"))
  )
  const tf = await loadTf()
  const nodes = options.nodes

  const network = await startLocalNetwork({
    nc: options.connections.coordinator,
    connections: options.connections,
    store: options.store,
    client: owner,
    coordinatorKey: devKey("coordinator"),
    weights,
    // Nodes fetch dataset shards from the datasets bucket by content hash.
    data: shardLibrary(await objectStoreWeights(options.connections.coordinator, DATASETS_BUCKET)),
    nodes,
    log: (line) => {
      // The narrative shows the milestones; every line goes to the log.
      const shown = /trained|FedAvg|reassign|disputed|starting round/.test(line)
      log("network", shown ? `  ${line}` : line, shown)
    }
  })
  say(`network up: coordinator, ${nodes.filter((n) => n.role === "trainer").length} trainers, ${nodes.filter((n) => n.role === "validator").length} validators on TF.js ${network.backend}`)

  const taskId = `digits-${run}`
  const started = performance.now()
  const head = await Effect.runPromise(options.store.headPosition)
  let finished: (e: RecordedEvent) => void = () => undefined
  const end = new Promise<RecordedEvent>((resolve) => (finished = resolve))
  const payouts = new Map<string, bigint>()
  const held = new Set<string>()
  const follow = Effect.runFork(
    Stream.runForEach(options.store.subscribe({ fromPosition: head + 1 }), (e) =>
      Effect.sync(() => {
        const d = e.data as any
        if (e.stream === `task-${taskId}`) {
          switch (d._tag) {
            case "RoundStarted":
              return say(`round ${d.round} started from ${d.base.modelId}-v${d.base.version} (pot ${d.pot} Neura)`)
            case "ResultSubmitted":
              return say(`  ${d.nodeId} submitted ${d.resultId}: ${d.proof.sampleCount} samples, ${d.proof.steps} steps, claims held-out accuracy ${d.proof.metrics.accuracy.toFixed(4)}`)
            case "VerificationRequested":
              return say(`  judges of ${d.resultId}: ${d.validators.join(", ")} (drawn by stake from its commit hash ${d.seed.slice(0, 10)}…), auditing segment ${d.audit.segment}`)
            case "RewardHeld":
              held.add(d.resultId)
              return
            case "ResultFinalized":
            case "RewardForfeited":
              held.delete(d.resultId)
              return
            case "ResultChallenged":
              return say(`  ${d.challenger} CHALLENGES ${d.resultId}: segment ${d.segment} does not reproduce`)
            case "StakeSlashed":
              return say(`  SLASHED ${d.amount} Neura of ${d.nodeId}'s stake: ${d.reason}`)
            case "ResultVerified":
              return say(`  ${d.resultId} VERIFIED ${d.tally.accept}:${d.tally.reject}, consensus accuracy ${d.consensusMetrics.accuracy.toFixed(4)}`)
            case "ResultRejected":
              return say(`  ${d.resultId} REJECTED: ${d.reason}`)
            case "RewardAllocated":
              payouts.set(d.nodeId ?? d.recipient, (payouts.get(d.nodeId ?? d.recipient) ?? 0n) + d.amount)
              return
            case "RoundClosed":
              return say(
                `round ${d.round} closed: ${d.verifiedResults.length} verified, ${d.rejectedResults.length} rejected, paid ${d.paidOut} Neura${d.held ? ` (+${d.held} to trainers once final)` : ""}${d.metrics ? `, model accuracy ${d.metrics.accuracy.toFixed(4)}` : ""}`
              )
            case "TaskContinued":
              return say(`task continues: ${d.reason}`)
            case "TaskCompleted":
            case "TaskExhausted":
              return finished(e)
          }
        }
        if (d._tag === "ModelVersionCreated" && d.lineage.taskId === taskId) {
          say(`  new model version ${d.modelId}-v${d.version} from ${d.lineage.results.length} result(s) by ${d.lineage.nodes.join(", ")}`)
        }
      })
    )
  )

  const budget = 80_000_000n
  if (options.backing) {
    await options.backing.task(taskId, budget)
    say(`the owner deposited the budget, ${budget} Neura, into NeuraEscrow (permit + deposit, one transaction); the bridge recorded it`)
  }
  const task = await createDigitsTask({ owner, weights, tf, taskId, suffix: run, target: options.target ?? 0.95, maxRounds: 8, budget })
  say(`task ${taskId} created on ${task.modelId}-v1: reach ${(options.target ?? 0.95) * 100}% held-out accuracy, budget ${task.budget} Neura escrowed`)
  await options.backing?.stakes(nodes)
  await optIn(owner, taskId, nodes)
  say(`nodes registered their keys, bonded stake and opted in (each committed the task's minimum stake)`)

  const outcome = await Promise.race([end, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("demo task did not finish in 5 minutes")), 300_000))])
  const seconds = (performance.now() - started) / 1000
  const d = outcome.data as any
  if (d._tag === "TaskCompleted") {
    say(`TASK COMPLETED in ${seconds.toFixed(1)} s: ${d.finalVersion.modelId}-v${d.finalVersion.version} reaches held-out accuracy ${d.metrics.accuracy.toFixed(4)}`)
  } else {
    say(`task exhausted (${d.reason}) after ${seconds.toFixed(1)} s; best ${d.bestVersion.modelId}-v${d.bestVersion.version}`)
  }
  // Trainers are paid once their results are final: wait out the challenge window.
  for (let i = 0; i < 600 && held.size > 0; i++) await new Promise((r) => setTimeout(r, 100))
  say(held.size === 0 ? "every verified result is final (its challenge window passed unchallenged)" : `${held.size} result(s) still inside their challenge window`)
  await new Promise((r) => setTimeout(r, 300))
  for (const [who, amount] of payouts) say(`  paid ${amount} Neura to ${who}`)
  const verify = await owner.get("/events/verify")
  say(`hash chain ${verify.ok ? "verified" : "BROKEN"} over ${verify.verified} events`)
  if (verify.ok && held.size === 0) await options.backing?.settled(taskId, say)
  await Effect.runPromise(Fiber.interrupt(follow))
  if (!verify.ok || d._tag !== "TaskCompleted") await network.stop()
  if (!verify.ok) throw new Error("hash chain verification failed")
  if (d._tag !== "TaskCompleted") throw new Error("the demo task did not reach its target")
  // The coordinator, trainers and validators keep serving: tasks and scorings asked for later run on them.
  return network
}
