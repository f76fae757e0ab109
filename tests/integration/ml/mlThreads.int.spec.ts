import { describe, expect, it } from "vitest"
import { deferredTf, loadTf, onEventLoop } from "../../../infra/ml/tf"
import { inMemoryWeightsStore } from "../../../infra/weights/WeightsStore"
import { replayLeaves } from "../../../nodes/infra/replay"
import { measureWeights } from "../../../nodes/infra/mlDeps"
import type { MlJob } from "../../../nodes/threads/jobs"
import { startMlThreads } from "../../../nodes/threads/pool"
import { trainOnWork } from "../../../nodes/trainer/train"
import { verifyWork } from "../../../nodes/validator/verify"
import { digits } from "../../../workloads/digits"
import { digitsShards, sampleWork } from "../../support/sampleWork"

/**
 * TF.js work off the event loop (nodes/threads): a work item trained, a
 * segment replayed and weights measured on a thread give the same bytes and
 * numbers as on the event loop (the protocol compares one node's run with
 * another's replay), and the pool survives jobs that fail and threads that die.
 */
const shards = await digitsShards()

describe("ML threads", () => {
  it("train a work item, replay its segments and measure it exactly as the event loop does, reporting as they go", async () => {
    const tf = await loadTf()
    const weights = inMemoryWeightsStore()
    const { work, verifyFor } = await sampleWork({ tf, weights, shards, initSeed: 7, seed: 13, epochs: 2 })
    const threads = startMlThreads(1)
    try {
      expect(await threads.ready()).toBe(true)
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

      // A judge on a thread and a judge on the event loop find the same evidence and measure the same metrics.
      const judging = verifyFor(onThread, "0x0b")
      const judgedOnThread = await verifyWork(judging, { tf, weights, data: shards.data, threads })
      const judgedOnLoop = await verifyWork(judging, { tf, weights, data: shards.data })
      expect(judgedOnThread).toEqual(judgedOnLoop)
      expect(judgedOnThread.verdict).toBe("accept")
      expect(judgedOnThread.evidence.steps!.length).toBeGreaterThan(1)
      // A replay from a state that does not fit the model is "cannot be opened" on a thread too.
      const s0 = onThread.proof.checkpoints.states[0]
      const misfit = { weights: s0!.optimizer, optimizer: s0!.weights }
      expect(await replayLeaves(judging, misfit, 0, 2, { tf, weights, data: shards.data, threads })).toBeUndefined()
      expect(await replayLeaves(judging, s0!, 0, 2, { tf, weights, data: shards.data, threads })).toEqual(await replayLeaves(judging, s0!, 0, 2, { tf, weights, data: shards.data }))

      // It did run on the thread: a node whose own backend differs from the thread's refuses the answer.
      const elsewhere = { ...tf, backend: "elsewhere" }
      await expect(trainOnWork({ ...work, seed: 14 }, { tf: elsewhere, weights, data: shards.data, threads })).rejects.toThrow(`ML thread runs ${tf.backend}, this node elsewhere`)
      const finalWeights = await weights.get(onThread.proof.weightsHash)
      await expect(measureWeights({ tf: elsewhere, data: shards.data, threads }, digits, work.topology, finalWeights, work.validationHash)).rejects.toThrow("ML thread runs")

      // A node process keeps TF.js on its threads (deferredTf): it works there under the threads'
      // backend, loads TF.js on its event loop only for work that must run there (here a replay
      // without threads), and never under another backend.
      expect(threads.backend).toBe(tf.backend)
      const deferred = deferredTf(threads.backend!)
      expect(() => deferred.tf).toThrow("runs on this node's ML threads")
      expect(await trainOnWork(work, { tf: deferred, weights, data: shards.data, threads })).toEqual(onLoop)
      expect(await replayLeaves(judging, s0!, 0, 2, { tf: deferred, weights, data: shards.data })).toEqual(await replayLeaves(judging, s0!, 0, 2, { tf, weights, data: shards.data }))
      expect(await onEventLoop(deferred)).toBe(tf)
      await expect(onEventLoop(deferredTf("elsewhere"))).rejects.toThrow("its event loop loaded")
    } finally {
      await threads.stop()
    }
  })

  it("fail a job the thread cannot train with its error, and keep training the next", async () => {
    const tf = await loadTf()
    const weights = inMemoryWeightsStore()
    const { work } = await sampleWork({ tf, weights, shards, initSeed: 7, seed: 13, epochs: 1 })
    const threads = startMlThreads(1)
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
    const standIn = new URL("../../support/threads/flakyMlThread.mjs", import.meta.url)
    const heldOut = { count: 0, x: new Float32Array(0), xShape: [1], y: new Int32Array(0), yWidth: 1 }
    const job = (first: number): MlJob => ({ kind: "measure", measure: { weights: new Uint8Array([first, 9]), validation: heldOut } }) as unknown as MlJob

    it("fails the job of a thread that dies, replaces the thread, and runs jobs one per thread in order", async () => {
      const threads = startMlThreads(1, standIn)
      try {
        await threads.ready()
        const lines: Array<string> = []
        const first = threads.run(job(0), { progress: (l: string) => lines.push(l) })
        const crash = threads.run(job(1))
        const failing = threads.run(job(2))
        const last = threads.run(job(3))
        expect((await first).answer).toEqual(new Uint8Array([0, 9]))
        await expect(crash).rejects.toThrow("ML thread failed: exited with code 3")
        await expect(failing).rejects.toThrow("no such kernel")
        expect(await last).toEqual({ answer: new Uint8Array([3, 9]), backend: "stand-in" })
        expect(lines).toEqual(["job 1"])
      } finally {
        await threads.stop()
      }
    })

    it("fails a job it cannot send and gives the next job a fresh thread, not the one it retires", async () => {
      const threads = startMlThreads(1, standIn)
      try {
        await threads.ready()
        const unsendable = { kind: "measure", measure: { weights: new Uint8Array([0]), validation: heldOut, callback: () => 1 } } as unknown as MlJob
        const refused = threads.run(unsendable)
        const next = threads.run(job(4))
        await expect(refused).rejects.toThrow(/could not be cloned/)
        expect(await next).toEqual({ answer: new Uint8Array([4, 9]), backend: "stand-in" })
      } finally {
        await threads.stop()
      }
    })

    it("says it is not ready when a thread dies before loading TF.js (the node then works on its event loop)", async () => {
      const broken = startMlThreads(2, new URL("../../support/threads/brokenMlThread.mjs", import.meta.url))
      try {
        expect(await broken.ready()).toBe(false)
      } finally {
        await broken.stop()
      }
      const threads = startMlThreads(2, standIn)
      try {
        expect(await threads.ready()).toBe(true)
      } finally {
        await threads.stop()
      }
    })

    it("refuses jobs once stopped, and fails those still queued", async () => {
      const threads = startMlThreads(1, standIn)
      await threads.ready()
      // Expectations attached before stopping: the rejections come during stop().
      const crash = expect(threads.run(job(1))).rejects.toThrow(/ML thread failed|stopped/)
      const queued = expect(threads.run(job(0))).rejects.toThrow("ML threads stopped")
      await threads.stop()
      await crash
      await queued
      await expect(threads.run(job(0))).rejects.toThrow("ML threads stopped")
    })
  })
})
