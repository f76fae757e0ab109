import { describe, expect, it } from "vitest"
import { halveRate, logMelFrames, readWav, type LogMelOptions } from "../../../workloads/kit/audio"
import { RECIPE, utterances } from "../../../workloads/spoken-digits/recipe"

const wav = (rate: number, pcm: Int16Array, dataSize = pcm.length * 2) => {
  const b = Buffer.alloc(44 + pcm.length * 2)
  b.write("RIFF", 0)
  b.writeUInt32LE(36 + pcm.length * 2, 4)
  b.write("WAVEfmt ", 8)
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20)
  b.writeUInt16LE(1, 22)
  b.writeUInt32LE(rate, 24)
  b.writeUInt32LE(rate * 2, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write("data", 36)
  b.writeUInt32LE(dataSize, 40)
  pcm.forEach((v, i) => b.writeInt16LE(v, 44 + 2 * i))
  return new Uint8Array(b)
}
const tone = (hz: number, rate: number, n: number, lead = 0) => Int16Array.from({ length: n }, (_, i) => (i < lead ? 0 : Math.round(8000 * Math.sin((2 * Math.PI * hz * (i - lead)) / rate))))
const options: LogMelOptions = { rate: 11025, window: 256, hop: 128, frames: 20, mels: 24, lowHz: 60, highHz: 5000 }
const loudestBand = (frames: Float32Array, frame: number) => {
  const row = Array.from(frames.subarray(frame * options.mels, (frame + 1) * options.mels))
  return row.indexOf(Math.max(...row))
}

describe("speech features (workloads/kit/audio.ts)", () => {
  it("reads mono 16-bit WAVE, including espeak-ng's files whose data size runs past the bytes", () => {
    const pcm = Int16Array.from([1, -2, 300, -32768, 32767])
    expect(Array.from(readWav(wav(22050, pcm)).pcm)).toEqual(Array.from(pcm))
    expect(readWav(wav(22050, pcm, 0x7fffffff)).pcm.length).toBe(5)
    expect(() => readWav(new Uint8Array(10))).toThrow(/RIFF/)
    const stereo = wav(22050, pcm)
    stereo[22] = 2
    expect(() => readWav(stereo)).toThrow(/mono 16-bit/)
  })

  it("halves the rate with a low-pass: a constant stays constant, the length halves", () => {
    expect(Array.from(halveRate(Int16Array.from([100, 100, 100, 100, 100, 100])))).toEqual([75, 100, 100])
  })

  it("puts a tone's energy in its mel band: a higher tone lands in a higher band", () => {
    const low = logMelFrames(tone(300, 11025, 4000), options)
    const high = logMelFrames(tone(3000, 11025, 4000), options)
    expect(loudestBand(low, 5)).toBeLessThan(loudestBand(high, 5))
    // Standardised per utterance, deterministic.
    const mean = low.reduce((a, b) => a + b, 0) / low.length
    expect(Math.abs(mean)).toBeLessThan(1e-4)
    expect(Array.from(logMelFrames(tone(300, 11025, 4000), options))).toEqual(Array.from(low))
  })

  it("starts at the onset: leading silence does not move the frames", () => {
    const plain = logMelFrames(tone(800, 11025, 4000), options)
    const late = logMelFrames(tone(800, 11025, 4000 + 1000, 1000), options)
    for (let i = 0; i < 5 * options.mels; i++) expect(late[i]).toBe(plain[i])
  })
})

describe("the spoken-digits recipe", () => {
  it("holds out voices: no held-out utterance uses a voice variant seen in training", () => {
    const variant = (voice: string) => voice.split("+")[1]
    const trained = new Set(utterances("training", 0, 3000).map((u) => variant(u.voice)))
    const held = new Set(utterances("heldOut", 0, 1000).map((u) => variant(u.voice)))
    expect([...held].filter((v) => trained.has(v))).toEqual([])
    expect(held.size).toBe(RECIPE.heldOutVariants.length)
  })

  it("is reproducible: the same utterances for the same positions, every word, speeds and pitches in range", () => {
    const a = utterances("training", 0, 400)
    expect(utterances("training", 100, 50)).toEqual(a.slice(100, 150))
    expect(new Set(a.map((u) => u.label)).size).toBe(10)
    for (const u of a) {
      expect(u.speed).toBeGreaterThanOrEqual(RECIPE.speed[0])
      expect(u.speed).toBeLessThanOrEqual(RECIPE.speed[1])
      expect(u.pitch).toBeGreaterThanOrEqual(RECIPE.pitch[0])
      expect(u.pitch).toBeLessThanOrEqual(RECIPE.pitch[1])
      expect(u.word).toBe(RECIPE.words[u.label])
    }
  })
})
