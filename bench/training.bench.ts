import { getWeightBytes, setWeightBytes } from "../infra/ml/model"
import { loadTf, type LoadedTf } from "../infra/ml/tf"
import { digits, digitsCnnLayers, digitsMlpLayers } from "../workloads/digits"
import { layersTopology } from "../nodes/workloadTask"
import { bareFit } from "./bare"
import { inMemoryWeightsStore } from "../infra/weights/WeightsStore"
import { trainOnWork } from "../nodes/trainer/train"
import { reexecuteSegment, verifyWork } from "../nodes/validator/verify"
import { replayLeaves } from "../nodes/infra/replay"
import { segmentBounds } from "../domain/task/draw"
import { logEvents, networkHarness } from "../tests/support/networkHarness"
import { digitsShards, sampleWork } from "../tests/support/sampleWork"
import { compare, interleaved, median, round, type BenchResult } from "./stats"
import type { RecordedEvent } from "../domain/recordedEvent"
import { medianPhases, roundTimeline } from "../projections/roundTimeline"
import { readyMlThreads, threadsPerCore } from "../nodes/threads/pool"

/**
 * Training on the network vs TF.js alone, same backend, same run:
 * - a trainer's work item (load + hash-check weights and data, train, upload,
 *   measure) vs a bare `model.fit` on the same samples;
 * - what verifying one result costs relative to producing it;
 * - the whole digits task on the network (real NATS, 4 trainers and 3
 *   validators to 97 % with the CNN; 2 trainers to 95 % with the MLP) vs
 *   centralised training on all the data to the same target.
 */
export const trainingBench = async (url: string, options = { epochs: 3, target: 0.95 }): Promise<Array<BenchResult>> => {
  const tf = await loadTf()
  const shards = await digitsShards()
  const data = shards.data
  const weights = inMemoryWeightsStore()
  const { work, topology, initial, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 3, seed: 9, epochs: options.epochs })
  const plan = work.plan
  // As a node runs them: training, replays and measurements on the process's ML threads (ML_THREADS).
  const { threads } = await readyMlThreads(threadsPerCore(), console.error)
  const node = { tf, weights, data, ...(threads ? { threads } : {}) }
  // Five interleaved runs of each, medians: single runs on this shared
  // machine vary by a third (a run beside a GC pause or a neighbour's burst).
  const samples = await data.samples(digits, topology, [work.shards[0]!.contentHash])
  const bareRun = async (seed: number) => {
    const bare = await digits.build(tf.tf, topology)
    setWeightBytes(tf.tf, bare, initial)
    const t = performance.now()
    await bareFit(tf.tf, digits, bare, samples, topology, { ...plan, epochs: options.epochs, seed })
    const ms = performance.now() - t
    bare.dispose()
    return ms
  }
  // Warm up both paths (wasm compile, kernels, V8's JIT): the trainer's work item on its ML
  // thread, the bare fit on the event loop. Three runs each, alternating: with one, the
  // thread's next two work items still ran slower than the three after them (141, 148, then
  // 112, 93, 106 ms in one full run; 145, 114, then 110, 95, 109 in another), and a trainer
  // runs work item after work item. The warm-up runs are printed beside.
  const warmUp = { trainer: [] as Array<number>, bare: [] as Array<number> }
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    await trainOnWork({ ...work, seed: 30 + i }, node)
    warmUp.trainer.push(performance.now() - t)
    warmUp.bare.push(await bareRun(30 + i))
  }
  const trainerRuns: Array<number> = []
  const bareRuns: Array<number> = []
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    await trainOnWork({ ...work, seed: 40 + i }, node)
    trainerRuns.push(performance.now() - t)
    bareRuns.push(await bareRun(40 + i))
  }
  const trainerSeconds = median(trainerRuns) / 1000
  const bareSeconds = median(bareRuns) / 1000
  const sampleSteps = samples.count * options.epochs

  // What judging one result costs against producing it, at two training lengths: a judge's
  // work is one segment plus fixed costs (a held-out evaluation, loading a state). Each result
  // is judged right after it is trained, a warm-up pair and then five pairs, medians of each
  // side (stats.ts `interleaved`), as the other rows: with five trainer runs and then five
  // judges, the machine's drift between the blocks moved the ratio (0.25 to 0.39 over four
  // full runs of the same code; pairs printed as `pairRatios`).
  const judgingCost = async (epochs: number) => {
    const sample = epochs === options.epochs ? { work, verifyFor } : await sampleWork({ tf, weights, shards, initSeed: 3, seed: 9, epochs })
    let produced: Awaited<ReturnType<typeof trainOnWork>> | undefined
    const pairs = await interleaved(
      5,
      async (i) => {
        const started = performance.now()
        produced = await trainOnWork({ ...sample.work, seed: 20 + i }, node)
        return performance.now() - started
      },
      async (i) => {
        const started = performance.now()
        const vote = await verifyWork(sample.verifyFor(produced!, `0x${(i + 1).toString(16)}`), node)
        const ms = performance.now() - started
        if (vote.verdict !== "accept") throw new Error(`bench: honest result not accepted: ${JSON.stringify(vote)}`)
        return ms
      }
    )
    // A juror's ruling on a dispute: replaying the one step bisection comes down to, against the
    // whole audited segment a referee replayed before (and still does when a dispute cannot be bisected).
    const stepRuns: Array<number> = []
    const segmentRuns: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const judged = sample.verifyFor(produced!, `0x${(i + 1).toString(16)}`)
      const { from } = segmentBounds(judged.audit.segment, judged.proof.checkpoints.interval, judged.proof.steps)
      let started = performance.now()
      await replayLeaves(judged, judged.proof.checkpoints.states[judged.audit.segment]!, from, from + 1, node)
      stepRuns.push(performance.now() - started)
      started = performance.now()
      await reexecuteSegment(judged, node)
      segmentRuns.push(performance.now() - started)
    }
    return {
      epochs,
      steps: produced!.proof.steps,
      segments: produced!.proof.checkpoints.states.length - 1,
      trainerMs: pairs.ours,
      judgeMs: pairs.baseline,
      runsMs: { trainer: pairs.runs.ours, judge: pairs.runs.baseline, warmUp: { trainer: round(pairs.warmUp.ours), judge: round(pairs.warmUp.baseline) } },
      pairRatios: pairs.runs.ours.map((t, i) => round((3 * pairs.runs.baseline[i]!) / t, 3)),
      refereeStepMs: median(stepRuns),
      refereeSegmentMs: median(segmentRuns)
    }
  }
  const short = await judgingCost(options.epochs)
  const long = await judgingCost(options.epochs * 3)

  // -- the whole task vs centralised -----------------------------------------
  // The issue's shape: 4 trainers + 3 validators to 97 % held-out. The MLP
  // never gets there (it tops out near 96 %, measured), so this task trains
  // the digits CNN with 3 local epochs per round (FedAvg's E) and a learning
  // rate scaled for averaging 4 trainers' models: 0.03 took 5 rounds where
  // 0.01 took 9 and 0.04 9 (scratch runs, 2026-11-26). Centralised training
  // keeps its own best, 0.01 (at 0.02-0.04 it is slower to 97 % or never
  // gets there in 10 epochs). Beside it, the 2-trainer MLP task to 95 % that
  // earlier sessions measured, at the default plan.
  // Five measured runs of the issue's shape (its pairs spread 2.2-2.9 in one scratch run), three of the MLP's.
  const issueShape = await networkVersusCentral(url, { trainers: 4, architecture: "cnn", target: 0.97, epochsPerRound: 3, learningRate: 0.03 }, tf, shards, 5)
  const mlp = await networkVersusCentral(url, { trainers: 2, architecture: "mlp", target: options.target, epochsPerRound: 1, learningRate: 0.01 }, tf, shards)

  return [
    compare("trainer.samplesPerSecond", "samples/s", sampleSteps / trainerSeconds, { name: `bare tfjs model.fit (${tf.backend})`, value: sampleSteps / bareSeconds }, {
      samples: samples.count,
      epochs: options.epochs,
      runsMs: { trainer: trainerRuns.map(Math.round), bare: bareRuns.map(Math.round), statistic: "median of 5 interleaved runs after three warm-up runs each" },
      warmUpRunsMs: { trainer: warmUp.trainer.map(Math.round), bare: warmUp.bare.map(Math.round) },
      mlThreads: threads?.size ?? 0,
      note: "trainer = load+check weights and shard, train and evaluate on held-out (on an ML thread, as a trainer does), hash+upload weights; bare fit on the event loop"
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
    networkRow("digitsTask.network.wallSeconds", issueShape),
    networkRow("digitsTask.network.mlp95", mlp)
  ]
}

interface NetworkShape {
  readonly trainers: number
  readonly architecture: "mlp" | "cnn"
  readonly target: number
  readonly epochsPerRound: number
  /** The network's learning rate (centralised training runs at 0.01, its best). */
  readonly learningRate: number
}

/**
 * The digits task on the network (real NATS; the API, coordinator, trainers
 * and 3 validators in this process) vs centralised training of the same
 * model from the same initial weights on all the data, epoch by epoch, to
 * the same held-out target. Timed from the log: task created → target
 * reached, as the API recorded them (the centralised loop also starts with
 * its model built and its data loaded).
 *
 * Measured as every other row: one warm-up run of each side, then `runs`
 * runs alternating, medians (stats.ts `interleaved`). A network's nodes run
 * task after task, so its steady state is a task on warm nodes; the
 * centralised loop gets the same warm-up. Single runs spread by a fifth here
 * (one run's ratio read 2.86 and the next 3.43, scratch runs 2026-11-27), and
 * the first task of a fresh process pays V8 compiling TF.js's convolution
 * code on each ML thread (a thread's first CNN work item 330 ms, the next
 * ones 185 ms): the warm-up pair is printed beside.
 */
export const networkVersusCentral = async (url: string, shape: NetworkShape, tf: LoadedTf, shards: Awaited<ReturnType<typeof digitsShards>>, runs = 3) => {
  const network: Array<Awaited<ReturnType<typeof networkRun>>> = []
  const central: Array<Awaited<ReturnType<typeof centralRun>>> = []
  // Each network is torn down (every node stopped, its work in hand finished) before the
  // centralised run after it starts: nothing of it may run beside the baseline.
  const passes = await interleaved(
    runs,
    async (run) => {
      const r = await networkRun(url, shape, run)
      network.push(r)
      return r.toTarget
    },
    async () => {
      const c = await centralRun(shape, tf, shards)
      central.push(c)
      return c.seconds
    }
  )
  const measured = network.slice(1)
  // The run whose time is the median's: its rounds and breakdown stand for the row.
  const typical = measured.find((r) => r.toTarget === passes.ours) ?? measured[0]!
  return { ...typical, passes, measured, coldNetwork: network[0]!, central: central.slice(1), coldCentral: central[0]!, backend: tf.backend }
}

const networkRun = async (url: string, shape: NetworkShape, run: number) => {
  const started = performance.now()
  const taskId = `BENCH_${shape.architecture.toUpperCase()}_${shape.trainers}_${run}`
  await using net = await networkHarness(url, [
    ...Array.from({ length: shape.trainers }, (_, i) => ({ nodeId: `trainer${i + 1}`, role: "trainer" as const })),
    { nodeId: "validator1", role: "validator" },
    { nodeId: "validator2", role: "validator" },
    { nodeId: "validator3", role: "validator" }
  ])
  await net.createTask(taskId, { target: shape.target, maxRounds: 20, budget: 120_000_000n, architecture: shape.architecture, shards: shape.trainers, epochsPerRound: shape.epochsPerRound, learningRate: shape.learningRate })
  const events = await net.waitForEnd(taskId, 600_000)
  const wholeRunSeconds = (performance.now() - started) / 1000
  const end = events.find((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted")
  const rounds = events.filter((e) => e.type === "RoundClosed").length
  const accuracy: number = end.type === "TaskCompleted" ? end.data.metrics.accuracy : (end.data.metrics?.accuracy ?? 0)
  const log: Array<RecordedEvent> = await logEvents(net.api.client)
  const perRound = roundTimeline(log, taskId)
  const createdAt = log.find((e) => e.type === "TaskCreated" && e.stream === `task-${taskId}`)?.recordedAt
  const toTarget = createdAt ? (Date.parse(end.recordedAt) - Date.parse(createdAt)) / 1000 : wholeRunSeconds
  const routedAhead = net.log.filter((l) => l.includes("trained ahead of its round")).length
  const submitted = events.filter((e) => e.type === "ResultSubmitted").length
  return { shape, end: end.type as string, accuracy, rounds, toTarget, wholeRunSeconds, perRound, routedAhead, submitted, mlThreads: (await readyMlThreads(threadsPerCore(), console.error)).threads?.size ?? 0 }
}

/** Centralised: the same model and initial weights (the task's), all the data, epoch by epoch until the target. */
const centralRun = async (shape: NetworkShape, tf: LoadedTf, shards: Awaited<ReturnType<typeof digitsShards>>) => {
  const layers = shape.architecture === "cnn" ? digitsCnnLayers(tf.tf, 3) : digitsMlpLayers(tf.tf, 3)
  const topology = layersTopology(layers)
  const initial = getWeightBytes(layers)
  layers.dispose()
  const plan = { epochsPerRound: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam" as const, seed: 11 }
  const all = digits.decode(Buffer.concat(shards.bytes.training), topology)
  const heldOut = digits.decode(shards.bytes.validation, topology)
  const central = await digits.build(tf.tf, topology)
  setWeightBytes(tf.tf, central, initial)
  const t = performance.now()
  let centralAccuracy = 0
  let centralEpochs = 0
  while (centralEpochs < 30 && centralAccuracy < shape.target) {
    await bareFit(tf.tf, digits, central, all, topology, { ...plan, epochs: 1, seed: 100 + centralEpochs })
    centralEpochs++
    centralAccuracy = digits.evaluate(tf.tf, central, heldOut, topology).accuracy ?? 0
  }
  const centralSeconds = (performance.now() - t) / 1000
  central.dispose()
  return { seconds: centralSeconds, accuracy: centralAccuracy, epochs: centralEpochs }
}

export const networkRow = (name: string, r: Awaited<ReturnType<typeof networkVersusCentral>>): BenchResult => {
  const typicalCentral = r.central.find((c) => c.seconds === r.passes.baseline) ?? r.central[0]!
  return compare(name, "s", r.passes.ours, { name: "centralised training on all data to the same target", value: r.passes.baseline }, {
    target: r.shape.target,
    model: r.shape.architecture === "cnn" ? "digits CNN (conv 8×3×3, pool, dense)" : "digits MLP 64-32-10",
    statistic: `median of ${r.measured.length} interleaved runs of each after one warm-up run each (a fresh network of nodes per run; the process's ML threads stay)`,
    runs: { ...r.passes.runs, network: r.measured.map((m) => ({ seconds: round(m.toTarget), rounds: m.rounds, accuracy: round(m.accuracy, 4), outcome: m.end })), centralEpochs: r.central.map((c) => c.epochs) },
    warmUpRun: { network: round(r.coldNetwork.toTarget), networkRounds: r.coldNetwork.rounds, central: round(r.coldCentral.seconds), ratio: round(r.coldNetwork.toTarget / r.coldCentral.seconds, 3), firstRoundMs: r.coldNetwork.perRound[0]?.total },
    network: {
      accuracy: round(r.accuracy, 4),
      rounds: r.rounds,
      outcome: r.end,
      epochsPerRound: r.shape.epochsPerRound,
      learningRate: r.shape.learningRate,
      nodes: `${r.shape.trainers} trainers, 3 validators, 1 coordinator (in one process), real NATS`,
      mlThreads: `${r.mlThreads} (ML_THREADS: the process's trainers train, and its validators replay and measure, on them; the centralised loop is TF.js wasm, one thread)`,
      resultsTrainedAheadOfTheirRound: `${r.routedAhead} of ${r.submitted}`
    },
    wholeRunSeconds: round(r.wholeRunSeconds),
    measured: "TaskCreated → TaskCompleted as recorded in the log (wholeRunSeconds: from starting the nodes to every reward final); the breakdown, rounds and accuracy are the median run's",
    roundBreakdownMs: { median: medianPhases(r.perRound), rounds: r.perRound, phases: "dispatch, trainAndUpload, verify (draw + re-execute + commit + reveal), aggregate, commit, nextRound (projections/roundTimeline.ts)" },
    centralised: { accuracy: round(typicalCentral.accuracy, 4), epochs: typicalCentral.epochs, learningRate: 0.01 },
    backend: r.backend
  })
}
