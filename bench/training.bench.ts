import { setWeightBytes } from "../infra/ml/model"
import { loadTf } from "../infra/ml/tf"
import { digits } from "../workloads/digits"
import { bareFit } from "./bare"
import { inMemoryWeightsStore } from "../infra/weights/WeightsStore"
import { trainOnWork } from "../nodes/trainer/train"
import { reexecuteSegment, verifyWork } from "../nodes/validator/verify"
import { replayLeaves } from "../nodes/infra/replay"
import { segmentBounds } from "../domain/task/draw"
import { logEvents, networkHarness } from "../tests/support/networkHarness"
import { digitsShards, sampleWork } from "../tests/support/sampleWork"
import { compare, round, type BenchResult } from "./stats"
import type { RecordedEvent } from "../domain/recordedEvent"
import { medianPhases, roundTimeline } from "../projections/roundTimeline"

/**
 * Training on the network vs TF.js alone, same backend, same run:
 * - a trainer's work item (load + hash-check weights and data, train, upload,
 *   measure) vs a bare `model.fit` on the same samples;
 * - what verifying one result costs relative to producing it;
 * - the whole digits task on the network (real NATS, 2 trainers, 3
 *   validators) vs centralised training on all the data to the same target.
 */
// 95 %, not the 97 % issue #15 names: this 64-32-10 MLP reaches 97 % neither
// centralised (20 epochs on all the data) nor on the network (12 rounds, 4
// trainers: 95.3 %), measured here.
export const trainingBench = async (url: string, options = { epochs: 3, target: 0.95 }): Promise<Array<BenchResult>> => {
  const tf = await loadTf()
  const shards = await digitsShards()
  const data = shards.data
  const weights = inMemoryWeightsStore()
  const { work, topology, initial, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 3, seed: 9, epochs: options.epochs })
  const plan = work.plan
  // Warm up both paths once (wasm compile, kernels).
  await trainOnWork(work, { tf, weights, data })

  // Five interleaved runs of each, medians: single runs on this shared
  // machine vary by a third (a run beside a GC pause or a neighbour's burst).
  const samples = await data.samples(digits, topology, [work.shards[0]!.contentHash])
  const trainerRuns: Array<number> = []
  const bareRuns: Array<number> = []
  for (let i = 0; i < 5; i++) {
    let t = performance.now()
    await trainOnWork({ ...work, seed: 40 + i }, { tf, weights, data })
    trainerRuns.push(performance.now() - t)
    const bare = await digits.build(tf.tf, topology)
    setWeightBytes(tf.tf, bare, initial)
    t = performance.now()
    await bareFit(tf.tf, digits, bare, samples, topology, { ...plan, epochs: options.epochs, seed: 40 + i })
    bareRuns.push(performance.now() - t)
    bare.dispose()
  }
  const medianOf = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const trainerSeconds = medianOf(trainerRuns) / 1000
  const bareSeconds = medianOf(bareRuns) / 1000
  let t = performance.now()
  const sampleSteps = samples.count * options.epochs

  // What judging one result costs against producing it, at two training lengths (medians of 5):
  // a judge's work is one segment plus fixed costs (a held-out evaluation, loading a state).
  const judgingCost = async (epochs: number) => {
    const sample = epochs === options.epochs ? { work, verifyFor } : await sampleWork({ tf, weights, shards, initSeed: 3, seed: 9, epochs })
    const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const trainerRuns: Array<number> = []
    let produced: Awaited<ReturnType<typeof trainOnWork>> | undefined
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      produced = await trainOnWork({ ...sample.work, seed: 20 + i }, { tf, weights, data })
      trainerRuns.push(performance.now() - started)
    }
    const judgeRuns: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const vote = await verifyWork(sample.verifyFor(produced!, `0x${(i + 1).toString(16)}`), { tf, weights, data })
      judgeRuns.push(performance.now() - started)
      if (vote.verdict !== "accept") throw new Error(`bench: honest result not accepted: ${JSON.stringify(vote)}`)
    }
    // A juror's ruling on a dispute: replaying the one step bisection comes down to, against the
    // whole audited segment a referee replayed before (and still does when a dispute cannot be bisected).
    const stepRuns: Array<number> = []
    const segmentRuns: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const judged = sample.verifyFor(produced!, `0x${(i + 1).toString(16)}`)
      const { from } = segmentBounds(judged.audit.segment, judged.proof.checkpoints.interval, judged.proof.steps)
      let started = performance.now()
      await replayLeaves(judged, judged.proof.checkpoints.states[judged.audit.segment]!, from, from + 1, { tf, weights, data })
      stepRuns.push(performance.now() - started)
      started = performance.now()
      await reexecuteSegment(judged, { tf, weights, data })
      segmentRuns.push(performance.now() - started)
    }
    return {
      epochs,
      steps: produced!.proof.steps,
      segments: produced!.proof.checkpoints.states.length - 1,
      trainerMs: median(trainerRuns),
      judgeMs: median(judgeRuns),
      refereeStepMs: median(stepRuns),
      refereeSegmentMs: median(segmentRuns)
    }
  }
  const short = await judgingCost(options.epochs)
  const long = await judgingCost(options.epochs * 3)

  // -- the whole task vs centralised -----------------------------------------
  const started = performance.now()
  await using net = await networkHarness(url, [
    { nodeId: "trainerA", role: "trainer" },
    { nodeId: "trainerB", role: "trainer" },
    { nodeId: "validator1", role: "validator" },
    { nodeId: "validator2", role: "validator" },
    { nodeId: "validator3", role: "validator" }
  ])
  await net.createTask("BENCH", { target: options.target, maxRounds: 12, budget: 120_000_000n })
  const events = await net.waitForEnd("BENCH", 300_000)
  const networkSeconds = (performance.now() - started) / 1000
  const end = events.find((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted")
  const rounds = events.filter((e) => e.type === "RoundClosed").length
  const networkAccuracy: number = end.type === "TaskCompleted" ? end.data.metrics.accuracy : (end.data.metrics?.accuracy ?? 0)
  // Where each round's time went, from the log (task and model events).
  const log: Array<RecordedEvent> = await logEvents(net.api.client)
  const perRound = roundTimeline(log, "BENCH")
  // Task created → target reached (the round that reached it closed), as the
  // API recorded them: the network's counterpart of the centralised loop,
  // which also starts with its model built and its data loaded. Starting the
  // nodes before, and the 1 s challenge window before the last rewards are
  // final after, are in wholeRunSeconds.
  const createdAt = log.find((e) => e.type === "TaskCreated" && e.stream === "task-BENCH")?.recordedAt
  const networkToTarget = createdAt ? (Date.parse(end.recordedAt) - Date.parse(createdAt)) / 1000 : networkSeconds

  const all = digits.decode(Buffer.concat(shards.bytes.training), topology)
  const heldOut = digits.decode(shards.bytes.validation, topology)
  const central = await digits.build(tf.tf, topology)
  setWeightBytes(tf.tf, central, initial)
  t = performance.now()
  let centralAccuracy = 0
  let centralEpochs = 0
  while (centralEpochs < 20 && centralAccuracy < options.target) {
    await bareFit(tf.tf, digits, central, all, topology, { ...plan, epochs: 1, seed: 100 + centralEpochs })
    centralEpochs++
    centralAccuracy = digits.evaluate(tf.tf, central, heldOut, topology).accuracy ?? 0
  }
  const centralSeconds = (performance.now() - t) / 1000
  central.dispose()

  return [
    compare("trainer.samplesPerSecond", "samples/s", sampleSteps / trainerSeconds, { name: `bare tfjs model.fit (${tf.backend})`, value: sampleSteps / bareSeconds }, {
      samples: samples.count,
      epochs: options.epochs,
      runsMs: { trainer: trainerRuns.map(Math.round), bare: bareRuns.map(Math.round), statistic: "median of 5 interleaved runs" },
      note: "trainer = load+check weights and shard, train, hash+upload weights, evaluate on held-out"
    }),
    compare("validator.costPerResult", "3 judges' time / trainer's time", (3 * long.judgeMs) / long.trainerMs, { name: "3 judges each replaying the whole training (the first slice's protocol)", value: (3 * bareSeconds * 1000 * 3) / long.trainerMs }, {
      goal: "≤ 0.25",
      longerRun: { ...long, ratio: round((3 * long.judgeMs) / long.trainerMs, 3) },
      shorterRun: { ...short, ratio: round((3 * short.judgeMs) / short.trainerMs, 3) },
      note: "each judge re-executes one audited segment from its committed checkpoint (bit-exact) and evaluates the weights on 1797 held-out samples; the evaluation is a fixed cost, so the ratio falls as runs grow"
    }),
    compare("verification.jurorCostPerDispute", "ms (one juror replaying the disputed step from the agreed state)", long.refereeStepMs, { name: "a referee replaying the whole audited segment (no bisection)", value: long.refereeSegmentMs }, {
      steps: long.steps,
      segmentSteps: Math.ceil(long.steps / long.segments),
      shorterRun: { steps: short.steps, stepMs: round(short.refereeStepMs, 2), segmentMs: round(short.refereeSegmentMs, 2) },
      note: "both include restoring the state (weights + optimizer) into a fresh model; the step itself is ~1/segment of the replay, the rest is fixed"
    }),
    compare("digitsTask.network.wallSeconds", "s", networkToTarget, { name: "centralised training on all data to the same target", value: centralSeconds }, {
      target: options.target,
      network: { accuracy: round(networkAccuracy, 4), rounds, outcome: end.type, nodes: "2 trainers, 3 validators, 1 coordinator (in one process), real NATS" },
      wholeRunSeconds: round(networkSeconds),
      measured: "TaskCreated → TaskCompleted as recorded in the log (wholeRunSeconds: from starting the nodes to every reward final)",
      roundBreakdownMs: { median: medianPhases(perRound), rounds: perRound, phases: "dispatch, trainAndUpload, verify (draw + re-execute + commit + reveal), aggregate, commit, nextRound (projections/roundTimeline.ts)" },
      centralised: { accuracy: round(centralAccuracy, 4), epochs: centralEpochs },
      backend: tf.backend
    })
  ]
}
