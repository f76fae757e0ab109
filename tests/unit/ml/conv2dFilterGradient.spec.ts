import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { conv2dFilterGradient, type ConvGeometry } from "../../../infra/ml/conv2dFilterGradient"

/**
 * The first version of the kernel, as it shipped: (b, oh, ow) outermost,
 * bounds tested per tap. Its bytes are what earlier runs committed to, so the
 * faster kernel must give exactly these, not just close values.
 */
const firstVersion = (xs: Float32Array, dys: Float32Array, g: ConvGeometry, [fh, fw, ci, co]: readonly [number, number, number, number], reverse = false) => {
  const out = new Float32Array(fh * fw * ci * co)
  const bs = Array.from({ length: g.batchSize }, (_, i) => i)
  for (const bi of reverse ? bs.reverse() : bs) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        const dyBase = ((bi * g.outHeight + oh) * g.outWidth + ow) * co
        for (let kh = 0; kh < fh; kh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight
          if (ih < 0 || ih >= g.inHeight) continue
          for (let kw = 0; kw < fw; kw++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth
            if (iw < 0 || iw >= g.inWidth) continue
            const xBase = ((bi * g.inHeight + ih) * g.inWidth + iw) * ci
            const wBase = (kh * fw + kw) * ci * co
            for (let c = 0; c < ci; c++) {
              const xv = xs[xBase + c]!
              if (xv === 0) continue
              const row = wBase + c * co
              for (let o = 0; o < co; o++) out[row + o]! += xv * dys[dyBase + o]!
            }
          }
        }
      }
    }
  }
  return out
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex")

/** A convolution's shapes, with values of mixed magnitudes (so the summation order shows in the bits), zeros, negative zeros and a few infinite gradients. */
const convolution = fc
  .record({
    batchSize: fc.integer({ min: 1, max: 4 }),
    inHeight: fc.integer({ min: 1, max: 9 }),
    inWidth: fc.integer({ min: 1, max: 9 }),
    fh: fc.integer({ min: 1, max: 4 }),
    fw: fc.integer({ min: 1, max: 4 }),
    ci: fc.integer({ min: 1, max: 3 }),
    co: fc.integer({ min: 1, max: 17 }),
    strideHeight: fc.integer({ min: 1, max: 3 }),
    strideWidth: fc.integer({ min: 1, max: 3 }),
    dilationHeight: fc.integer({ min: 1, max: 2 }),
    dilationWidth: fc.integer({ min: 1, max: 2 }),
    padTop: fc.integer({ min: 0, max: 2 }),
    padBottom: fc.integer({ min: 0, max: 2 }),
    padLeft: fc.integer({ min: 0, max: 2 }),
    padRight: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer()
  })
  .filter((s) => s.inHeight + s.padTop + s.padBottom >= (s.fh - 1) * s.dilationHeight + 1 && s.inWidth + s.padLeft + s.padRight >= (s.fw - 1) * s.dilationWidth + 1)
  .map((s) => {
    const g: ConvGeometry = {
      ...s,
      outHeight: Math.floor((s.inHeight + s.padTop + s.padBottom - (s.fh - 1) * s.dilationHeight - 1) / s.strideHeight) + 1,
      outWidth: Math.floor((s.inWidth + s.padLeft + s.padRight - (s.fw - 1) * s.dilationWidth - 1) / s.strideWidth) + 1
    }
    let state = s.seed >>> 0 || 1
    const next = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32)
    const value = () => {
      const r = next()
      if (r < 0.2) return 0
      if (r < 0.25) return -0
      return (next() - 0.5) * 10 ** Math.floor(next() * 8 - 4)
    }
    const xs = Float32Array.from({ length: g.batchSize * g.inHeight * g.inWidth * s.ci }, value)
    // A diverging run's gradients hold infinities: 0 · ∞ is NaN, so the skipped zero inputs show.
    const dys = Float32Array.from({ length: g.batchSize * g.outHeight * g.outWidth * s.co }, () => (next() < 0.02 ? Infinity : value()))
    return { g, xs, dys, filter: [s.fh, s.fw, s.ci, s.co] as const }
  })

describe("the wasm backend's Conv2DBackpropFilter (conv2dFilterGradient)", () => {
  it("gives the first version's bytes for any geometry: strides, dilations, uneven padding, zeros, negative zeros, infinite gradients", () => {
    fc.assert(
      fc.property(convolution, ({ g, xs, dys, filter }) => {
        expect(bytes(conv2dFilterGradient(xs, dys, g, filter))).toBe(bytes(firstVersion(xs, dys, g, filter)))
      }),
      { numRuns: 400 }
    )
  })

  it("writes every value of an output it is handed (the backend's memory is not zeroed)", () => {
    fc.assert(
      fc.property(convolution, ({ g, xs, dys, filter }) => {
        const stale = new Float32Array(filter[0] * filter[1] * filter[2] * filter[3]).fill(Number.NaN)
        conv2dFilterGradient(xs, dys, g, filter, stale)
        expect(bytes(stale)).toBe(bytes(firstVersion(xs, dys, g, filter)))
      }),
      { numRuns: 100 }
    )
    expect(() => conv2dFilterGradient(new Float32Array(1), new Float32Array(1), { batchSize: 1, inHeight: 1, inWidth: 1, outHeight: 1, outWidth: 1, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0 }, [1, 1, 1, 1], new Float32Array(2))).toThrow(/1 values, not 2/)
  })

  it("gives the digits CNN's bytes (32 images of 8×8, 3×3 'same', 8 filters)", () => {
    const g: ConvGeometry = { batchSize: 32, inHeight: 8, inWidth: 8, outHeight: 8, outWidth: 8, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1 }
    // Digits are pixel counts over 16: many exact zeros.
    const xs = Float32Array.from({ length: 32 * 64 }, (_, i) => (i % 3 === 0 ? 0 : (i % 17) / 16))
    const dys = Float32Array.from({ length: 32 * 64 * 8 }, (_, i) => Math.sin(i * 0.37) * 1e-3)
    expect(bytes(conv2dFilterGradient(xs, dys, g, [3, 3, 1, 8]))).toBe(bytes(firstVersion(xs, dys, g, [3, 3, 1, 8])))
  })

  it("would notice another summation order (the comparison can fail)", () => {
    // Summing the batch the other way round changes some weight's last bits in these cases.
    const differs = fc.sample(convolution.filter(({ g }) => g.batchSize > 1), { numRuns: 200, seed: 7 }).filter(
      ({ g, xs, dys, filter }) => bytes(firstVersion(xs, dys, g, filter, true)) !== bytes(firstVersion(xs, dys, g, filter))
    )
    expect(differs.length).toBeGreaterThan(10)
  })
})
