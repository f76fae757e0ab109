import { describe, expect, it } from "vitest"
import { SAMPLES_KEPT, samplesReceiver, samplesSender, type SamplesOnWire } from "../../nodes/threads/keptSamples"
import type { Samples } from "../../workloads/kit/samples"

/**
 * The pool sends a thread only the samples it does not keep
 * (nodes/threads/keptSamples.ts): its mirror must agree with the thread's
 * cache after any sequence of jobs, or a job would run on the wrong data.
 */
const samplesNamed = (n: number): Samples => ({ count: 1, x: new Float32Array([n]), xShape: [1], y: new Int32Array([n]), yWidth: 1 })

describe("kept samples", () => {
  it("sends each set once while it is kept, and the thread gets back exactly what was sent, over 2,000 random uses of 12 sets", () => {
    const sets = Array.from({ length: 12 }, (_, i) => samplesNamed(i))
    const send = samplesSender()
    const receive = samplesReceiver()
    let seed = 7
    // The LCG's high bits (its low bits cycle too briefly for small moduli).
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) >>> 12
    let sentWhole = 0
    for (let i = 0; i < 2_000; i++) {
      // Mostly a few hot sets (one task's held-out set and shards), sometimes any of twelve.
      const pick = sets[next() % 10 < 7 ? next() % 3 : next() % sets.length]!
      // Through a structured clone, as postMessage does.
      const wire = structuredClone(send(pick)) as SamplesOnWire
      if ("samples" in wire) sentWhole++
      expect(receive(wire).x[0]).toBe(pick.x[0])
    }
    // The hot sets stay kept: far fewer whole sends than uses.
    expect(sentWhole).toBeLessThan(600)
    expect(sentWhole).toBeGreaterThan(12)
  })

  it("sends a set again once it has fallen out of the last SAMPLES_KEPT used", () => {
    const send = samplesSender()
    const sets = Array.from({ length: SAMPLES_KEPT + 1 }, (_, i) => samplesNamed(i))
    expect("samples" in send(sets[0]!)).toBe(true)
    expect(send(sets[0]!)).toEqual({ kept: expect.any(Number) })
    for (const s of sets.slice(1)) send(s)
    expect("samples" in send(sets[0]!)).toBe(true)
    // The most recently used ones are still kept.
    expect("kept" in send(sets[SAMPLES_KEPT]!)).toBe(true)
  })

  it("refuses a reference the thread does not hold (a mirror out of step) instead of training on something else", () => {
    const receive = samplesReceiver()
    expect(() => receive({ kept: 424242 })).toThrow("were not kept")
  })
})
