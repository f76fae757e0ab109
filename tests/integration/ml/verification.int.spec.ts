import { describe, expect, it } from "vitest"
import { digitRows, shardRows } from "../../../infra/datasets/digits"
import { loadTf, type LoadedTf } from "../../../infra/ml/tf"
import { digitsLibrary } from "../../../nodes/infra/dataLibrary"
import { inMemoryWeightsStore, WeightsUnavailable } from "../../../infra/weights/WeightsStore"
import { trainOnWork, type TrainerBehaviour } from "../../../nodes/trainer/train"
import { verifyWork } from "../../../nodes/validator/verify"
import { sampleWork } from "../../support/sampleWork"

/**
 * The Verifier Engine on real TF.js training: what an honest result looks
 * like to a validator, and that each kind of cheating is caught for the
 * right reason.
 */
const data = digitsLibrary()
const shard = shardRows(digitRows("training"), 4, "s")[0]!

const setup = async () => {
  const tf = await loadTf()
  const weights = inMemoryWeightsStore()
  const { work, verifyFor } = await sampleWork({ tf, weights, shard, initSeed: 5, seed: 42, epochs: 1, reproducibilityTolerance: 1e-3 })
  const trainAs = (behaviour: TrainerBehaviour, on: LoadedTf = tf) => trainOnWork(work, { tf: on, weights, data, behaviour })
  return { tf, weights, trainAs, verifyFor }
}

describe("Verifier Engine on real training", () => {
  it("accepts an honest result: bit-exact reproduction on the same backend, measured accuracy as claimed", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    expect(result.proof.backend).toBe(tf.backend)
    const vote = await verifyWork(verifyFor(result), { tf, weights, data })
    expect(vote.verdict).toBe("accept")
    expect(vote.reproduction).toMatchObject({ method: "bitExact", weightsHash: result.proof.weightsHash, maxAbsDiff: 0 })
    expect(vote.measured.accuracy).toBe(result.proof.metrics.accuracy)
    expect(vote.predictionsDigest).toMatch(/^0x[0-9a-f]{64}$/)
  }, 60_000)

  it("rejects weights that do not come from the claimed training", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("fakeWeights")
    const vote = await verifyWork(verifyFor(result), { tf, weights, data })
    expect(vote.verdict).toBe("reject")
    expect("reason" in vote && vote.reason).toMatch(/do not reproduce/)
  }, 60_000)

  it("rejects forged metrics even when the weights are genuine", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("forgeMetrics")
    const vote = await verifyWork(verifyFor(result), { tf, weights, data })
    expect(vote.verdict).toBe("reject")
    expect("reason" in vote && vote.reason).toMatch(/claimed accuracy/)
    expect(vote.reproduction.method).toBe("bitExact")
  }, 60_000)

  it("rejects a result whose weights were never uploaded", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const work = verifyFor(result)
    const vote = await verifyWork({ ...work, proof: { ...work.proof, weightsHash: `0x${"11".repeat(32)}` as never } }, { tf, weights, data })
    expect(vote.verdict).toBe("reject")
    expect("reason" in vote && vote.reason).toMatch(/unavailable/)
  }, 60_000)

  it("an unreachable weights store is no verdict: the item fails (and is retried), no vote is cast", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const outage = {
      ...weights,
      get: async (hash: string) => {
        throw new WeightsUnavailable({ hash, reason: "CONNECTION_CLOSED" })
      }
    }
    await expect(verifyWork(verifyFor(result), { tf, weights: outage, data })).rejects.toMatchObject({ _tag: "WeightsUnavailable", reason: "CONNECTION_CLOSED" })
  }, 60_000)

  it("the predictions digest is salted per validator: a copied digest does not match", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const a = await verifyWork(verifyFor(result), { tf, weights, data })
    const b = await verifyWork({ ...verifyFor(result), nodeId: "other" as never }, { tf, weights, data })
    expect(a.verdict).toBe("accept")
    expect(b.verdict).toBe("accept")
    expect(a.predictionsDigest).not.toBe(b.predictionsDigest)
  }, 60_000)

  it("reproduces across backends within the tolerance (cpu-trained, wasm-verified)", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    if (!tf.backend.startsWith("wasm")) throw new Error(`expected the wasm backend here, got ${tf.backend}`)
    await tf.tf.setBackend("cpu")
    let result: Awaited<ReturnType<typeof trainAs>>
    try {
      result = await trainAs("honest", { tf: tf.tf, backend: `cpu@${tf.tf.version_core}` })
    } finally {
      await tf.tf.setBackend("wasm")
    }
    const vote = await verifyWork(verifyFor(result), { tf, weights, data })
    const reproduction = vote.reproduction as { method: string; maxAbsDiff?: number }
    expect(reproduction.method).toBe("replayedChunk")
    expect(reproduction.maxAbsDiff).toBeGreaterThan(0)
    expect(reproduction.maxAbsDiff!).toBeLessThanOrEqual(1e-3)
    expect(vote.verdict).toBe("accept")
  }, 120_000)
})

describe("wasm Conv2DBackpropFilter kernel", () => {
  it("matches the cpu backend's filter gradient (stride 1/2, same/valid padding)", async () => {
    const { tf } = await loadTf()
    const x = Array.from({ length: 2 * 7 * 7 * 3 }, (_, i) => Math.sin(i * 0.37))
    const grad = async (backend: string, stride: number, pad: "same" | "valid") => {
      await tf.setBackend(backend)
      const xs = tf.tensor4d(x, [2, 7, 7, 3])
      const filter = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i * 0.11)), [3, 3, 3, 4])
      const g = tf.grad((f) => tf.conv2d(xs, f as import("@tensorflow/tfjs").Tensor4D, stride, pad).square().sum())(filter)
      const values = Array.from(await g.data())
      tf.dispose([xs, filter, g])
      return values
    }
    for (const [stride, pad] of [[1, "same"], [2, "same"], [1, "valid"], [2, "valid"]] as const) {
      const onCpu = await grad("cpu", stride, pad)
      const onWasm = await grad("wasm", stride, pad)
      expect(onWasm.length).toBe(onCpu.length)
      for (let i = 0; i < onCpu.length; i++) expect(Math.abs(onWasm[i]! - onCpu[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(onCpu[i]!)))
    }
    await tf.setBackend("wasm")
  }, 60_000)
})
