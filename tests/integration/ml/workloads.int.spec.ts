import { describe, expect, it } from "vitest"
import { stepTrainer } from "../../../infra/ml/checkpoints"
import { loadTf } from "../../../infra/ml/tf"
import { layersTopology } from "../../../nodes/workloadTask"
import { fashionCnnLayers } from "../../../workloads/fashion-cnn"
import { workloads } from "../../../workloads/registry"

/**
 * The workloads on real TF.js: what the API refuses before anything trains,
 * what nodes refuse to decode, and that the transformer's hand-written
 * attention trains the same on wasm (no gradient kernels of its own) as on
 * the reference cpu backend.
 */
const spam = workloads.get("spam-transformer")!
const moby = workloads.get("moby-chars")!
const fashion = workloads.get("fashion-cnn")!
const digits = workloads.get("digits")!

describe("workload checks at the edge", () => {
  it("refuses topologies a workload cannot build, with a reason", () => {
    expect(spam.topologyProblem({ ...spam.exampleTopology, kind: "transformer-lm" })).toMatch(/kind must be/)
    expect(spam.topologyProblem({ ...spam.exampleTopology, heads: 3 })).toMatch(/not divisible/)
    expect(spam.topologyProblem({ ...spam.exampleTopology, vocab: 1e6 })).toMatch(/exceeds/)
    expect(moby.topologyProblem({ ...moby.exampleTopology, vocab: 50 })).toMatch(/vocab must be 97/)
    expect(spam.topologyProblem(spam.exampleTopology)).toBeUndefined()
    expect(digits.topologyProblem({ class_name: "Sequential", config: { layers: [{ class_name: "Dropout", config: {} }] } })).toMatch(/reproducibly/)
    expect(fashion.topologyProblem({ class_name: "Sequential", config: { layers: [{ class_name: "Dense", config: { units: 10, activation: "softmax", batch_input_shape: [null, 64] } }] } })).toMatch(/\[null, 28, 28, 1\]/)
  })
  it("nodes refuse malformed shards with a clear error", () => {
    expect(() => fashion.decode(new Uint8Array(100), {})).toThrow(/785-byte records/)
    expect(() => spam.decode(new TextEncoder().encode("not json\n"), spam.exampleTopology)).toThrow(/not JSON/)
    expect(() => spam.decode(new TextEncoder().encode('{"label":3,"text":"x"}\n'), spam.exampleTopology)).toThrow(/label 0\|1/)
    expect(() => moby.decode(new TextEncoder().encode("short"), moby.exampleTopology)).toThrow(/shorter than one window/)
    expect(() => digits.decode(new TextEncoder().encode("1,2,3\n"), {})).toThrow(/65/)
  })
  it("each workload's public data cuts into the shards asked for, disjoint from the held-out set", async () => {
    const { tf } = await loadTf()
    const topologyOf = (w: typeof spam) => (w === fashion ? layersTopology(fashionCnnLayers(tf, 1)) : w.exampleTopology)
    for (const w of [spam, moby, fashion]) {
      const size = w === moby ? { shards: 3, trainSamples: 9_000, heldOutSamples: 2_000 } : { shards: 3, trainSamples: 300, heldOutSamples: 100 }
      const cut = w.publicData(size)
      expect(cut.training.length, w.id).toBe(3)
      const counts = cut.training.map((b) => w.decode(b, topologyOf(w)).count)
      expect(counts.every((c) => c > 0), w.id).toBe(true)
      if (w !== moby) expect(counts.reduce((a, b) => a + b, 0), w.id).toBe(300)
      const held = Buffer.from(cut.validation)
      for (const b of cut.training) expect(held.equals(Buffer.from(b)), w.id).toBe(false)
    }
  })
})

describe("spam-bow, added by its folder and one registry line", () => {
  it("is a workload like the others: its topology is checked, its shards decode, and it learns spam from ham", async () => {
    const bow = workloads.get("spam-bow")!
    const { tf } = await loadTf()
    const layers = tf.sequential({
      layers: [
        tf.layers.dense({ name: "hidden", units: 16, activation: "relu", inputShape: [1024], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.dense({ name: "out", units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })
      ]
    })
    const topology = layersTopology(layers)
    layers.dispose()
    expect(bow.topologyProblem(topology)).toBeUndefined()
    expect(bow.topologyProblem({ ...topology, class_name: "Model" })).toMatch(/Sequential/)
    const cut = bow.publicData({ shards: 1, trainSamples: 640, heldOutSamples: 300 })
    const train = bow.decode(cut.training[0]!, topology)
    const held = bow.decode(cut.validation, topology)
    const model = await bow.build(tf, topology)
    const before = bow.evaluate(tf, model, held, topology)
    const plan = { epochs: 3, batchSize: 32, learningRate: 0.01, optimizer: "adam" as const, seed: 3 }
    const trainer = stepTrainer(tf, model, train.count, plan, (rows) => bow.batch(tf, train, rows, topology))
    await trainer.run(0, trainer.stepsTotal)
    const after = bow.evaluate(tf, model, held, topology)
    trainer.dispose()
    model.dispose()
    expect(after.f1!).toBeGreaterThan(0.8)
    expect(after.f1!).toBeGreaterThan(before.f1!)
  }, 60_000)
})

describe("the transformer on wasm", () => {
  it("trains step for step like the cpu backend (its attention needs no wasm-specific gradient kernel)", async () => {
    const { tf } = await loadTf()
    const topology = { ...moby.exampleTopology, seqLen: 16, dModel: 16, heads: 2, ffn: 32 }
    const train = moby.decode(moby.publicData({ shards: 1, trainSamples: 2_000, heldOutSamples: 500 }).training[0]!, topology)
    const plan = { epochs: 1, batchSize: 16, learningRate: 0.01, optimizer: "adam" as const, seed: 3 }
    const losses = async (backend: string) => {
      await tf.setBackend(backend)
      const model = await moby.build(tf, topology)
      const trainer = stepTrainer(tf, model, train.count, plan, (rows) => moby.batch(tf, train, rows, topology))
      const out: Array<number> = []
      await trainer.run(0, 4, (_, loss) => {
        out.push(loss)
      })
      trainer.dispose()
      model.dispose()
      return out
    }
    const start = tf.getBackend()
    try {
      const onWasm = await losses(start)
      const onCpu = await losses("cpu")
      expect(onWasm[3]!).toBeLessThan(onWasm[0]!)
      for (let i = 0; i < 4; i++) expect(Math.abs(onWasm[i]! - onCpu[i]!) / onCpu[i]!, `step ${i}`).toBeLessThan(1e-3)
    } finally {
      await tf.setBackend(start)
    }
  }, 120_000)
})
