import { loadTf } from "../infra/ml/tf"
import { digitsMlp, digitsCnn, topologyOf } from "../infra/ml/topologies"
import { buildModel, evaluate, getWeightBytes, setWeightBytes, train, weightsHash } from "../infra/ml/model"
import { digitRows, parseRows, shardRows } from "../infra/datasets/digits"
const { tf, backend } = await loadTf()
console.log("backend", backend)
const kind = process.argv[2] ?? "mlp"
const init = kind === "cnn" ? digitsCnn(tf) : digitsMlp(tf)
const topology = topologyOf(init)
const w0 = getWeightBytes(init)
console.log("init hash", weightsHash(w0), w0.byteLength)
const model = await buildModel(tf, topology)
setWeightBytes(tf, model, w0)
console.log("rebuilt hash equal", weightsHash(getWeightBytes(model)) === weightsHash(w0))
const shards = shardRows(digitRows("training"), 2, "s")
const samples = parseRows(shards[0]!.rows)
const held = parseRows(digitRows("validation"))
const t = performance.now()
const r = await train(tf, model, samples, { epochs: 3, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 7 }, 10)
const dt = (performance.now() - t) / 1000
console.log("steps", r.steps, "loss", r.loss, "samples/s", (samples.count * 3 / dt).toFixed(0))
const e = evaluate(tf, model, held, 10)
console.log("held-out", e.accuracy, e.loss, "hash", weightsHash(getWeightBytes(model)))
