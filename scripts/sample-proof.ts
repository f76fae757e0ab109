import { Schema } from "effect"
import { fold } from "../domain/decider"
import { task } from "../domain/task"
import { TaskEvent } from "../domain/task/events"
import { checkpointInterval } from "../domain/task/draw"
import { proofPayload, sampleCheckpoints } from "../commands/samples"

/**
 * `npx tsx scripts/sample-proof.ts <taskId> <nodeId> <trainedWeightsHash>` (API from $API, default
 * http://127.0.0.1:8080): a made-up SubmitResult payload for the README's curl walkthrough. It
 * waits (up to a minute) until the coordinator has dealt <nodeId> its work in the running round,
 * then claims exactly that work — the slot's result id, shards with their hashes and sample count,
 * the seed, the steps the plan implies — with a commitment of made-up checkpoint states. Real
 * trainers commit the states they trained (nodes/trainer/train.ts).
 */
const [taskId, nodeId, weightsHash] = process.argv.slice(2)
if (!taskId || !nodeId || !weightsHash || !/^0x[0-9a-f]{64}$/.test(weightsHash)) {
  console.error("usage: sample-proof.ts <taskId> <nodeId> <trainedWeightsHash> (0x + 64 lowercase hex)")
  process.exit(2)
}
const api = process.env.API ?? "http://127.0.0.1:8080"
const decode = Schema.decodeUnknownSync(TaskEvent)

const taskState = async () => {
  const events: Array<TaskEvent> = []
  for (let from = "1"; ; ) {
    const page = (await (await fetch(`${api}/events?aggregate=task&limit=1000&from=${from}`)).json()) as { events: Array<{ stream: string; data: unknown }>; next: string }
    for (const e of page.events) if (e.stream === `task-${taskId}`) events.push(decode(e.data))
    if (page.events.length < 1000) break
    from = page.next
  }
  return fold(task, events)
}

for (let attempt = 0; attempt < 120; attempt++) {
  const s = await taskState()
  const round = s.status === "running" ? s.round : undefined
  const work = round?.assignments.find((a) => a.nodeId === nodeId)
  if (s.status !== "none" && round && work) {
    const shards = work.shardIds.map((id) => s.config.trainingShards.find((x) => x.shardId === id)!)
    const samples = shards.reduce((n, x) => n + x.sampleCount, 0)
    const plan = s.config.training
    const steps = plan.epochsPerRound * Math.ceil(samples / plan.batchSize)
    const base = round.base.weightsHash
    const checkpoints = sampleCheckpoints(base, weightsHash, steps)
    if (checkpoints.interval !== checkpointInterval(steps, s.config.protocol.checkpoints)) throw new Error("the task's protocol commits another number of checkpoints")
    const proof = proofPayload(base, "", {
      seed: work.seed,
      shardIds: work.shardIds,
      shardHashes: shards.map((x) => x.contentHash),
      sampleCount: samples,
      epochs: plan.epochsPerRound,
      steps,
      weightsHash,
      checkpoints
    })
    console.log(JSON.stringify({ taskId, round: round.round, resultId: `${taskId}-r${round.round}-s${work.slot}-${nodeId}`, nodeId, proof }))
    process.exit(0)
  }
  await new Promise((r) => setTimeout(r, 500))
}
console.error(`${nodeId} was dealt no work in a running round of ${taskId} within a minute (has it joined? is the coordinator up?)`)
process.exit(1)
