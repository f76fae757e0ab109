import { randomBytes } from "node:crypto"
import { httpTransport, NeuraClient } from "../commands/client"
import { devKey, proofPayload, registerDatasets, registerModel, registerNode, sha256Hex, taskPayload } from "./samples"

/**
 * The demo run by the main command, over the HTTP API with signed commands:
 * an owner registers a model and datasets and creates a task; two trainers
 * and three validators register and join; a round runs with a hand-made
 * signed result and validator votes; the coordinator records the new model
 * version and closes the round (rewards paid). Then the task's events are
 * printed in order and the hash chain verified.
 */
export const runDemo = async ({ apiUrl }: { apiUrl: string }) => {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`
  const owner = new NeuraClient(httpTransport(apiUrl), devKey("owner"))
  const coordinator = owner.as(devKey("coordinator"))
  const log = (line: string) => console.log(`[demo] ${line}`)

  const modelId = await registerModel(owner, sha256Hex(`initial weights ${run}`))
  log(`registered model ${modelId}-v1`)
  await registerDatasets(owner, run)
  const taskId = `T${run}`
  const created = await owner.command("CreateTask", taskPayload(taskId, modelId, run))
  log(`created task ${taskId} (budget 3000000 escrowed) at position ${created.globalPosition}`)

  const trainers = ["trainerA", "trainerB"].map((name) => ({ nodeId: `${name}-${run}`, key: devKey(`${name}-${run}`) }))
  const validators = ["validator1", "validator2", "validator3"].map((name) => ({ nodeId: `${name}-${run}`, key: devKey(`${name}-${run}`) }))
  for (const n of trainers) {
    await registerNode(owner, n.key, n.nodeId, ["trainer"])
    await owner.as(n.key).command("JoinTask", { taskId, nodeId: n.nodeId, role: "trainer" })
  }
  for (const n of validators) {
    await registerNode(owner, n.key, n.nodeId, ["validator"])
    await owner.as(n.key).command("JoinTask", { taskId, nodeId: n.nodeId, role: "validator" })
  }
  log(`registered and joined ${trainers.length} trainers and ${validators.length} validators`)

  const started = await coordinator.command("StartRound", { taskId, round: 1 })
  const base = started.results[0]!.events[0]!.data.base
  log(`round 1 started from ${base.modelId}-v${base.version}`)
  const trainer = trainers[0]!
  const submitted = await owner.as(trainer.key).command("SubmitResult", {
    taskId,
    round: 1,
    resultId: `r1-${run}`,
    nodeId: trainer.nodeId,
    proof: proofPayload(base.weightsHash, run, { weightsHash: sha256Hex(`trained ${run}`) })
  })
  const assigned: Array<string> = submitted.results[0]!.events[1]!.data.validators
  log(`${trainer.nodeId} submitted a signed result; validators assigned: ${assigned.join(", ")}`)
  for (const nodeId of assigned.slice(0, 2)) {
    const v = validators.find((x) => x.nodeId === nodeId)!
    const voted = await owner.as(v.key).command("CastVerificationVote", {
      taskId,
      round: 1,
      resultId: `r1-${run}`,
      nodeId,
      verdict: "accept",
      measured: { accuracy: 0.86, loss: 0.45 },
      reproduction: { method: "bitExact", weightsHash: sha256Hex(`trained ${run}`) }
    })
    log(`${nodeId} voted: ${voted.results[0]!.events.map((e) => e.type).join(", ")}`)
  }
  const version = await coordinator.command("CreateModelVersion", {
    modelId,
    parentVersion: 1,
    weightsHash: sha256Hex(`aggregated ${run}`),
    lineage: { taskId, round: 1, results: [`r1-${run}`], datasets: [`digits-train${run}`], nodes: [trainer.nodeId] },
    metrics: { accuracy: 0.86, loss: 0.45 }
  })
  log(`model version ${modelId}-v${version.results[0]!.events[0]!.data.version} created with lineage`)
  const closed = await coordinator.command("CloseRound", {
    taskId,
    round: 1,
    newVersion: { ref: { modelId, version: 2 }, metrics: { accuracy: 0.86, loss: 0.45 } }
  })
  for (const e of closed.results[0]!.events) {
    if (e.type === "RewardAllocated") log(`  paid ${e.data.amount} Neura to ${e.data.role} ${e.data.nodeId ?? e.data.recipient}`)
  }

  const events = (await owner.get(`/events?aggregate=task&limit=1000`)).events.filter((e: any) => e.stream === `task-${taskId}`)
  log(`task-${taskId} events in order:`)
  for (const e of events) log(`  #${e.globalPosition}.${e.indexInCommit} ${e.type}`)
  const verify = await owner.get("/events/verify")
  log(`hash chain ${verify.ok ? "verified" : "BROKEN"} over ${verify.verified} events`)
  if (!verify.ok) throw new Error("hash chain verification failed")
}
