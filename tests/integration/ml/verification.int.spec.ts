import { describe, expect, it } from "vitest"
import { loadTf } from "../../../infra/ml/tf"
import { inMemoryWeightsStore, WeightsUnavailable } from "../../../infra/weights/WeightsStore"
import { trainOnWork, type TrainerBehaviour } from "../../../nodes/trainer/train"
import { reexecuteSegment, verifyWork } from "../../../nodes/validator/verify"
import { checkpointLeaf, merkleRoot } from "../../../domain/task/commitments"
import { digitsShards, sampleWork } from "../../support/sampleWork"

/**
 * The Verifier Engine on real TF.js training: what an honest result looks
 * like to a validator, and that each kind of cheating is caught for the
 * right reason.
 */
const shards = await digitsShards()
const data = shards.data

const setup = async () => {
  const tf = await loadTf()
  const weights = inMemoryWeightsStore()
  const { work, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 5, seed: 42, epochs: 1 })
  const trainAs = (behaviour: TrainerBehaviour) => trainOnWork(work, { tf, weights, data, behaviour })
  return { tf, weights, trainAs, verifyFor }
}

describe("Verifier Engine on real training: segment re-execution", () => {
  it("an honest run commits every checkpoint; each segment re-executed from its committed start ends bit-exactly in the committed state", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const { states, interval, root } = result.proof.checkpoints
    expect(root).toBe(merkleRoot(states.map(checkpointLeaf)))
    expect(states.length).toBe(Math.ceil(result.proof.steps / interval) + 1)
    for (let segment = 0; segment < states.length - 1; segment++) {
      const from = segment * interval
      const to = Math.min(from + interval, result.proof.steps)
      if (to - from < 2) continue
      const evidence = await reexecuteSegment({ ...verifyFor(result), audit: { segment, probeStep: from + 1 } }, { tf, weights, data })
      expect(evidence.endHash, `segment ${segment}`).toBe(checkpointLeaf(states[segment + 1]!))
    }
  }, 120_000)

  it("accepts an honest result: its audited segment reproduces and the measured accuracy is as claimed", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const work = verifyFor(result)
    const vote = await verifyWork(work, { tf, weights, data })
    expect(vote.verdict).toBe("accept")
    expect(vote.evidence.endHash).toBe(checkpointLeaf(result.proof.checkpoints.states[work.audit.segment + 1]!))
    expect(vote.measured.accuracy).toBe(result.proof.metrics.accuracy)
  }, 60_000)

  it("two honest judges report the same probe state; a lazy one cannot produce it", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const work = verifyFor(result)
    const a = await verifyWork(work, { tf, weights, data })
    const b = await verifyWork({ ...work, nodeId: "other" as never }, { tf, weights, data })
    const lazy = await verifyWork({ ...work, nodeId: "lazy" as never }, { tf, weights, data, behaviour: "lazy" })
    expect(a.evidence).toEqual(b.evidence)
    expect(lazy.verdict).toBe("accept")
    expect(lazy.evidence.endHash).toBe(a.evidence.endHash) // copied from the proof
    expect(lazy.evidence.probeHash).not.toBe(a.evidence.probeHash) // but not computed
  }, 60_000)

  it("rejects a forged run (the base weights shipped as trained, made-up checkpoints), whichever segment is audited", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("forgeRun")
    expect(result.proof.weightsHash).toBe(result.proof.baseWeightsHash)
    for (const seed of ["0x01", "0x02", "0x03"]) {
      const work = verifyFor(result, seed)
      const vote = await verifyWork(work, { tf, weights, data })
      expect(vote.verdict).toBe("reject")
      expect(vote.evidence.endHash).not.toBe(checkpointLeaf(result.proof.checkpoints.states[work.audit.segment + 1]!))
      expect(vote.reason).toMatch(/does not reproduce/)
    }
  }, 60_000)

  it("rejects forged metrics even when the run is genuine", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("forgeMetrics")
    const work = verifyFor(result)
    const vote = await verifyWork(work, { tf, weights, data })
    expect(vote.verdict).toBe("reject")
    expect(vote.reason).toMatch(/claimed accuracy/)
    expect(vote.evidence.endHash).toBe(checkpointLeaf(result.proof.checkpoints.states[work.audit.segment + 1]!))
  }, 60_000)

  it("rejects a result whose weights or checkpoints were never uploaded", async () => {
    const { tf, weights, trainAs, verifyFor } = await setup()
    const result = await trainAs("honest")
    const work = verifyFor(result)
    const missing = `0x${"11".repeat(32)}` as never
    const noWeights = await verifyWork({ ...work, proof: { ...work.proof, weightsHash: missing } }, { tf, weights, data })
    expect(noWeights.verdict).toBe("reject")
    expect(noWeights.reason).toMatch(/unavailable/)
    const states = work.proof.checkpoints.states.map((s, i) => (i === work.audit.segment ? { ...s, optimizer: missing } : s))
    const noStart = await verifyWork({ ...work, proof: { ...work.proof, checkpoints: { ...work.proof.checkpoints, states } } }, { tf, weights, data })
    expect(noStart.verdict).toBe("reject")
    expect(noStart.evidence.endHash).toBe(`0x${"00".repeat(32)}`)
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
