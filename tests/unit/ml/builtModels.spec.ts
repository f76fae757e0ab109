import type { LayersModel } from "@tensorflow/tfjs"
import { describe, expect, it } from "vitest"
import { checkpointLeaf } from "../../../domain/task/commitments"
import { getWeightBytes } from "../../../infra/ml/model"
import { loadTf } from "../../../infra/ml/tf"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import { withBuiltModel } from "../../../nodes/infra/builtModels"
import { measureWeights } from "../../../nodes/infra/mlDeps"
import { trainOnWork } from "../../../nodes/trainer/train"
import { reexecuteSegment } from "../../../nodes/validator/verify"
import { digits, digitsCnnLayers } from "../../../workloads/digits"
import { layersTopology } from "../../../nodes/workloadTask"
import { digitsShards, sampleWork } from "../../support/sampleWork"

/** Models kept between jobs on a thread (nodes/infra/builtModels.ts): reused only whole, never shared, bounded, and bit-exact. */
const tf = await loadTf()
const shards = await digitsShards()
const mlp = (await sampleWork({ tf, weights: inMemoryWeightsStore(), shards, initSeed: 3, seed: 9, epochs: 1 })).topology
const cnn = (() => {
  const m = digitsCnnLayers(tf.tf, 3)
  const topology = layersTopology(m)
  m.dispose()
  return topology
})()
const other = { ...mlp, name: "another_shape" }

const disposed = (model: LayersModel): boolean => {
  try {
    model.getWeights()
    return false
  } catch {
    return true
  }
}
const take = (topology: Record<string, unknown>) => withBuiltModel(tf.tf, digits, topology, async (m) => m)

describe("built models kept between jobs", () => {
  it("a model of the same shape comes back to the next job; another shape gets its own", async () => {
    const first = await take(mlp)
    expect(await take(mlp)).toBe(first)
    const cnnModel = await take(cnn)
    expect(cnnModel).not.toBe(first)
    expect(await take(mlp)).toBe(first)
    expect(disposed(first)).toBe(false)
  })

  it("a job that fails disposes its model: the next one builds afresh", async () => {
    const kept = await take(mlp)
    let failed: LayersModel | undefined
    await expect(
      withBuiltModel(tf.tf, digits, mlp, async (m) => {
        failed = m
        throw new Error("the job failed")
      })
    ).rejects.toThrow("the job failed")
    expect(failed).toBe(kept)
    expect(disposed(kept)).toBe(true)
    const next = await take(mlp)
    expect(next).not.toBe(kept)
  })

  it("two jobs at once never share a model; one idle model a shape is kept, two shapes a thread", async () => {
    let release!: () => void
    const holding = new Promise<void>((resolve) => (release = resolve))
    const inFirst = withBuiltModel(tf.tf, digits, mlp, async (m) => (await holding, m))
    const second = await take(mlp)
    release()
    const first = await inFirst
    expect(first).not.toBe(second)
    // Both came back: the second is kept, the first (given back later, the shape's one idle model taken) disposed.
    expect([disposed(first), disposed(second)]).toEqual([true, false])
    // A third shape lets the least recently used one go.
    const cnnModel = await take(cnn)
    await take(mlp)
    const otherModel = await take(other)
    expect(disposed(cnnModel)).toBe(true)
    expect(disposed(second)).toBe(false)
    expect(disposed(otherModel)).toBe(false)
  })

  it("a kept model that trained and measured other weights replays and measures bit for bit as a fresh one", async () => {
    const weights = inMemoryWeightsStore()
    const node = { tf, weights, data: shards.data }
    const { work, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 7, seed: 11, epochs: 2 })
    // A result trained with the model kept from the specs above, then each segment replayed in
    // turn, every replay on the model the one before left: each ends in the committed state.
    const result = await trainOnWork(work, node)
    const { states, interval } = result.proof.checkpoints
    for (let segment = 0; segment < states.length - 1; segment++) {
      const evidence = await reexecuteSegment({ ...verifyFor(result), audit: { segment, probeStep: segment * interval + 1 } }, node)
      expect(evidence.endHash, `segment ${segment}`).toBe(checkpointLeaf(states[segment + 1]!))
    }
    // The measurement of the result on a kept model (holding the last segment's state) is the trainer's own.
    const measured = await measureWeights(node, digits, work.topology, await weights.get(result.proof.weightsHash), work.validationHash)
    expect(measured.accuracy).toBe(result.proof.metrics.accuracy)
    // And the kept model holds exactly the weights it was last given.
    const kept = await take(work.topology)
    expect(getWeightBytes(kept)).toEqual(await weights.get(result.proof.weightsHash))
  }, 120_000)
})
