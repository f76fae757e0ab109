import { describe, expect, it } from "vitest"
import { loadTf } from "../../../infra/ml/tf"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import type { TrainingJob } from "../../../nodes/trainer/localTraining"
import { trainOnWork } from "../../../nodes/trainer/train"
import { startTrainingThreads } from "../../../nodes/trainer/trainingThreads"
import { verifyWork } from "../../../nodes/validator/verify"
import { digitsShards, sampleWork } from "../../support/sampleWork"

/**
 * Training off the event loop (nodes/trainer/trainingThreads.ts): a work item
 * trained on a thread is the same result, byte for byte, as on the event
 * loop (the protocol replays it on the event loop of another node), and the
 * pool survives jobs that fail and threads that die.
 */
const shards = await digitsShards()

describe("training threads", () => {
  it("train a work item to the same states, proof and held-out metrics as the event loop, reporting as they go", async () => {
    const tf = await loadTf()
    const weights = inMemoryWeightsStore()
    const { work, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 7, seed: 13, epochs: 2 })
    const threads = startTrainingThreads(1)
    try {
      await threads.ready()
      const onLoop = await trainOnWork(work, { tf, weights, data: shards.data })
      const lines: Array<string> = []
      let beats = 0
      const onThread = await trainOnWork(work, { tf, weights, data: shards.data, threads, progress: (l) => lines.push(l), working: () => beats++ })
      expect(onThread).toEqual(onLoop)
      expect(onThread.proof.steps).toBe(60)
      // The thread's first progress line comes with the first step; the last line is the trainer's own summary.
      expect(lines[0]).toMatch(/step 1\/60 loss/)
      expect(lines.at(-1)).toMatch(/trained 956 samples × 2 epochs \(60 steps/)
      expect(beats).toBeGreaterThanOrEqual(1)
      // A judge on the event loop reproduces the thread's audited segment.
      const judged = await verifyWork(verifyFor(onThread, "0x0b"), { tf, weights, data: shards.data })
      expect(judged.verdict).toBe("accept")
      // It did train on the thread: a trainer whose own backend differs from the thread's refuses the result.
      await expect(trainOnWork({ ...work, seed: 14 }, { tf: { ...tf, backend: "elsewhere" }, weights, data: shards.data, threads })).rejects.toThrow(`training thread runs ${tf.backend}, this trainer elsewhere`)
    } finally {
      await threads.stop()
    }
  })

  it("fail a job the thread cannot train with its error, and keep training the next", async () => {
    const tf = await loadTf()
    const weights = inMemoryWeightsStore()
    const { work } = await sampleWork({ tf, weights, shards, initSeed: 7, seed: 13, epochs: 1 })
    const threads = startTrainingThreads(1)
    try {
      // Base weights of the wrong size for the model.
      const wrongBase = await weights.put(new Uint8Array(12))
      await expect(trainOnWork({ ...work, baseWeightsHash: wrongBase as never }, { tf, weights, data: shards.data, threads })).rejects.toThrow(/values|size|length/i)
      const after = await trainOnWork(work, { tf, weights, data: shards.data, threads })
      expect(after.proof.weightsHash).toBe((await trainOnWork(work, { tf, weights, data: shards.data })).proof.weightsHash)
    } finally {
      await threads.stop()
    }
  })

  describe("the pool (a stand-in thread)", () => {
    const standIn = new URL("../../support/threads/flakyTrainingThread.mjs", import.meta.url)
    const job = (first: number): TrainingJob => ({ base: new Uint8Array([first, 9]) } as unknown as TrainingJob)

    it("fails the job of a thread that dies, replaces the thread, and runs jobs one per thread in order", async () => {
      const threads = startTrainingThreads(1, standIn)
      try {
        await threads.ready()
        const lines: Array<string> = []
        const first = threads.train(job(0), { progress: (l) => lines.push(l) })
        const crash = threads.train(job(1), {})
        const failing = threads.train(job(2), {})
        const last = threads.train(job(3), {})
        expect((await first).trained.states[0]!.weights).toEqual(new Uint8Array([0, 9]))
        await expect(crash).rejects.toThrow("training thread failed: exited with code 3")
        await expect(failing).rejects.toThrow("no such kernel")
        expect((await last).trained.states[0]!.weights).toEqual(new Uint8Array([3, 9]))
        expect((await last).backend).toBe("stand-in")
        expect(lines).toEqual(["job 1"])
      } finally {
        await threads.stop()
      }
    })

    it("refuses jobs once stopped, and fails those still queued", async () => {
      const threads = startTrainingThreads(1, standIn)
      await threads.ready()
      // Expectations attached before stopping: the rejections come during stop().
      const crash = expect(threads.train(job(1), {})).rejects.toThrow(/training thread failed|stopped/)
      const queued = expect(threads.train(job(0), {})).rejects.toThrow("training threads stopped")
      await threads.stop()
      await crash
      await queued
      await expect(threads.train(job(0), {})).rejects.toThrow("training threads stopped")
    })
  })
})
