/**
 * Speech features in plain TypeScript: WAV parsing, resampling by two and
 * log-mel frames. Trainers and validators compute the same features from the
 * same PCM bytes (the shard), so features never travel and never need
 * trusting; everything here is deterministic JavaScript arithmetic.
 */

/** Mono 16-bit PCM from a RIFF/WAVE file (what espeak-ng writes). */
export const readWav = (bytes: Uint8Array): { readonly rate: number; readonly pcm: Int16Array } => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file")
  let at = 12
  let rate = 0
  while (at + 8 <= bytes.length) {
    const id = tag(at)
    const size = view.getUint32(at + 4, true)
    if (id === "fmt ") {
      const format = view.getUint16(at + 8, true)
      const channels = view.getUint16(at + 10, true)
      const bits = view.getUint16(at + 22, true)
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error(`WAVE is not mono 16-bit PCM (format ${format}, ${channels} channels, ${bits} bits)`)
      rate = view.getUint32(at + 12, true)
    } else if (id === "data") {
      if (rate === 0) throw new Error("WAVE data before its fmt chunk")
      // espeak-ng writing to a file leaves the data size as written; trust the bytes present.
      const n = Math.floor(Math.min(size, bytes.length - at - 8) / 2)
      const pcm = new Int16Array(n)
      for (let i = 0; i < n; i++) pcm[i] = view.getInt16(at + 8 + 2 * i, true)
      return { rate, pcm }
    }
    at += 8 + size + (size % 2)
  }
  throw new Error("WAVE file has no data chunk")
}

/** Half the sample rate: a [¼ ½ ¼] low-pass, then every second sample. */
export const halveRate = (pcm: Int16Array): Int16Array => {
  const out = new Int16Array(Math.floor(pcm.length / 2))
  for (let i = 0; i < out.length; i++) {
    const c = 2 * i
    out[i] = Math.round(0.25 * (pcm[c - 1] ?? 0) + 0.5 * pcm[c]! + 0.25 * (pcm[c + 1] ?? 0))
  }
  return out
}

/** In-place radix-2 FFT of (re, im); length a power of two. */
const fft = (re: Float64Array, im: Float64Array) => {
  const n = re.length
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    if (i < j) {
      ;[re[i], re[j]] = [re[j]!, re[i]!]
      ;[im[i], im[j]] = [im[j]!, im[i]!]
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k)
        const wi = Math.sin(angle * k)
        const a = i + k
        const b = a + len / 2
        const tr = re[b]! * wr - im[b]! * wi
        const ti = re[b]! * wi + im[b]! * wr
        re[b] = re[a]! - tr
        im[b] = im[a]! - ti
        re[a] = re[a]! + tr
        im[a] = im[a]! + ti
      }
    }
  }
}

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700)
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1)

export interface LogMelOptions {
  readonly rate: number
  /** FFT window in samples (a power of two) and the hop between frames. */
  readonly window: number
  readonly hop: number
  readonly frames: number
  readonly mels: number
  readonly lowHz: number
  readonly highHz: number
}

/** Triangular mel filters over the FFT bins (HTK mel scale). */
const melFilters = (o: LogMelOptions): ReadonlyArray<Float64Array> => {
  const bins = o.window / 2 + 1
  const edges = Array.from({ length: o.mels + 2 }, (_, i) => melToHz(hzToMel(o.lowHz) + ((hzToMel(o.highHz) - hzToMel(o.lowHz)) * i) / (o.mels + 1)))
  const binHz = o.rate / o.window
  return Array.from({ length: o.mels }, (_, m) => {
    const f = new Float64Array(bins)
    const [lo, mid, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!]
    for (let b = 0; b < bins; b++) {
      const hz = b * binHz
      f[b] = hz <= lo || hz >= hi ? 0 : hz <= mid ? (hz - lo) / (mid - lo) : (hi - hz) / (hi - mid)
    }
    return f
  })
}

const filterCache = new Map<string, ReadonlyArray<Float64Array>>()

/**
 * `frames × mels` log-mel energies of an utterance, from its onset (the first
 * sample above 2% of the peak, so a word starts at frame 0 whatever the
 * leading silence), zero-padded past its end, then standardised to mean 0
 * and variance 1 over the utterance (loudness and voice level cancel out).
 */
export const logMelFrames = (pcm: Int16Array, o: LogMelOptions): Float32Array => {
  const key = JSON.stringify(o)
  let filters = filterCache.get(key)
  if (!filters) filterCache.set(key, (filters = melFilters(o)))
  let peak = 0
  for (const v of pcm) peak = Math.max(peak, Math.abs(v))
  const threshold = 0.02 * peak
  let onset = 0
  while (onset < pcm.length && Math.abs(pcm[onset]!) <= threshold) onset++
  const hann = Float64Array.from({ length: o.window }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / o.window))
  const out = new Float32Array(o.frames * o.mels)
  const re = new Float64Array(o.window)
  const im = new Float64Array(o.window)
  const scale = peak > 0 ? 1 / peak : 0
  for (let f = 0; f < o.frames; f++) {
    const start = onset + f * o.hop
    for (let i = 0; i < o.window; i++) {
      re[i] = (pcm[start + i] ?? 0) * scale * hann[i]!
      im[i] = 0
    }
    fft(re, im)
    for (let m = 0; m < o.mels; m++) {
      const w = filters[m]!
      let e = 0
      for (let b = 0; b < w.length; b++) if (w[b]! > 0) e += w[b]! * (re[b]! * re[b]! + im[b]! * im[b]!)
      out[f * o.mels + m] = Math.log(e + 1e-6)
    }
  }
  let mean = 0
  for (const v of out) mean += v
  mean /= out.length
  let variance = 0
  for (const v of out) variance += (v - mean) ** 2
  const sd = Math.sqrt(variance / out.length) || 1
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - mean) / sd
  return out
}
