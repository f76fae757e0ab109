import { digitRows, parseRows, shardRows } from "../infra/datasets/digits"
import { buildModel, evaluate, setWeightBytes, train } from "../infra/ml/model"
import { loadTf } from "../infra/ml/tf"
import { digitsLibrary } from "../nodes/infra/dataLibrary"
import { inMemoryWeightsStore } from "../infra/weights/WeightsStore"
import { trainOnWork } from "../nodes/trainer/train"
import { verifyWork } from "../nodes/validator/verify"
import { networkHarness } from "../tests/support/networkHarness"
import { sampleWork } from "../tests/support/sampleWork"
import { compare, round, type BenchResult } from "./stats"

/**
 * Training on the network vs TF.js alone, same backend, same run:
 * - a trainer's work item (load + hash-check weights and data, train, upload,
 *   measure) vs a bare `model.fit` on the same samples;
 * - what verifying one result costs relative to producing it;
 * - the whole digits task on the network (real NATS, 2 trainers, 3
 *   validators) vs centralised training on all the data to the same target.
 */
export const trainingBench = async (url: string, options = { epochs: 3, target: 0.95 }): Promise<Array<BenchResult>> => {
  const tf = await loadTf()
  const data = digitsLibrary()
  const weights = inMemoryWeightsStore()
  const shard = shardRows(digitRows("training"), 2, "s")[0]!
  const { work, topology, initial, verifyFor } = await sampleWork({ tf, weights, shard, initSeed: 3, seed: 9, epochs: options.epochs })
  const plan = work.plan
  // Warm up both paths once (wasm compile, kernels).
  await trainOnWork(work, { tf, weights, data })

  let t = performance.now()
  const result = await trainOnWork(work, { tf, weights, data })
  const trainerSeconds = (performance.now() - t) / 1000
  const samples = parseRows(shard.rows)
  const bare = await buildModel(tf.tf, topology)
  setWeightBytes(tf.tf, bare, initial)
  t = performance.now()
  await train(tf.tf, bare, samples, { ...plan, epochs: options.epochs, seed: 9 }, 10)
  const bareSeconds = (performance.now() - t) / 1000
  bare.dispose()
  const sampleSteps = samples.count * options.epochs

  t = performance.now()
  const vote = await verifyWork(verifyFor(result), { tf, weights, data })
  const validatorSeconds = (performance.now() - t) / 1000
  if (vote.verdict !== "accept") throw new Error(`bench: honest result not accepted: ${JSON.stringify(vote)}`)

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
  const networkAccuracy = end.type === "TaskCompleted" ? end.data.metrics.accuracy : end.data.metrics?.accuracy ?? 0

  const all = parseRows(digitRows("training"))
  const heldOut = parseRows(digitRows("validation"))
  const central = await buildModel(tf.tf, topology)
  setWeightBytes(tf.tf, central, initial)
  t = performance.now()
  let centralAccuracy = 0
  let centralEpochs = 0
  while (centralEpochs < 20 && centralAccuracy < options.target) {
    await train(tf.tf, central, all, { ...plan, epochs: 1, seed: 100 + centralEpochs }, 10)
    centralEpochs++
    centralAccuracy = evaluate(tf.tf, central, heldOut, 10).accuracy
  }
  const centralSeconds = (performance.now() - t) / 1000
  central.dispose()

  return [
    compare("trainer.samplesPerSecond", "samples/s", sampleSteps / trainerSeconds, { name: `bare tfjs model.fit (${tf.backend})`, value: sampleSteps / bareSeconds }, {
      samples: samples.count,
      epochs: options.epochs,
      note: "trainer = load+check weights and shard, train, hash+upload weights, evaluate on held-out"
    }),
    compare("validator.costPerResult", "judges' seconds / trainer seconds", (3 * validatorSeconds) / trainerSeconds, { name: "3 judges each replaying the whole training (the first slice's protocol)", value: (3 * bareSeconds) / trainerSeconds }, {
      judgeSeconds: round(validatorSeconds, 3),
      trainerSeconds: round(trainerSeconds, 3),
      checkpoints: result.proof.checkpoints.states.length - 1,
      goal: "≤ 0.25",
      note: "each of 3 judges re-executes one audited segment from its committed checkpoint (bit-exact) and evaluates the weights on 1797 held-out samples"
    }),
    compare("digitsTask.network.wallSeconds", "s", networkSeconds, { name: "centralised training on all data to the same target", value: centralSeconds }, {
      target: options.target,
      network: { accuracy: round(networkAccuracy, 4), rounds, outcome: end.type, nodes: "2 trainers, 3 validators, 1 coordinator (in one process), real NATS" },
      centralised: { accuracy: round(centralAccuracy, 4), epochs: centralEpochs },
      backend: tf.backend
    })
  ]
}
