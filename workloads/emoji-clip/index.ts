import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import { fedAvg, tidyValues } from "../../infra/ml/model"
import type { Tf } from "../../infra/ml/tf"
import { tfjsLayersExport } from "../kit/export"
import { gatherRows, type Samples } from "../kit/samples"
import { contiguousParts, type Workload } from "../workload"
import { HELD_OUT_FROM, PIXELS, decodeEmoji, emojiSet, encodeEmoji } from "./data"
import { clipModel, type ClipTopology } from "./model"

const KIND = "clip-dual-encoder"
const asClip = (t: Record<string, unknown>) => t as unknown as ClipTopology

/** One batch's inputs: the images, and the texts one-hot; targets: text i matches image i. */
const batch = (tf: Tf, samples: Samples, indices: ArrayLike<number>, t: ClipTopology) => {
  const { x, n } = gatherRows(samples, indices)
  const width = PIXELS + t.textLen
  return tf.tidy(() => {
    const rows = tf.tensor2d(x, [n, width])
    const image = rows.slice([0, 0], [n, PIXELS])
    const text = tf.oneHot(rows.slice([0, PIXELS], [n, t.textLen]).toInt(), t.vocab).toFloat()
    return { xs: [image, text], ys: tf.eye(n) }
  })
}

/**
 * Text→image retrieval over the whole held-out set at once: for each held-out
 * text, the rank of its own image among all held-out images. recall@k is the
 * fraction ranked within k; loss is the mean cross-entropy of the match.
 */
const evaluate = (tf: Tf, model: LayersModel, samples: Samples, t: ClipTopology) => {
  const { xs, ys } = batch(tf, samples, Int32Array.from({ length: samples.count }, (_, i) => i), t)
  // One call over the whole set: the output pairs every text with every image, so predict must not split it.
  const { probs } = tidyValues(tf, () => ({ probs: model.predict(xs, { batchSize: samples.count }) as Tensor }))
  for (const x of xs) x.dispose()
  ys.dispose()
  const n = samples.count
  let r1 = 0
  let r5 = 0
  let nll = 0
  for (let i = 0; i < n; i++) {
    const own = probs[i * n + i]!
    let above = 0
    for (let j = 0; j < n; j++) if (probs[i * n + j]! > own) above++
    if (above < 1) r1++
    if (above < 5) r5++
    nll -= Math.log(Math.max(own, 1e-7))
  }
  return { recall1: r1 / n, recall5: r5 / n, loss: nll / n }
}

/**
 * Image–text alignment: a CLIP-style dual encoder on emoji and their words,
 * trained contrastively (within each batch); objective text→image recall@5
 * on held-out emoji, whose names the model has never seen.
 */
export const emojiClip: Workload = {
  id: "emoji-clip",
  title: "Emoji images and their names: a CLIP-style dual encoder (text→image retrieval)",
  family: "multimodal",
  data: {
    format: "emoji16-jsonl",
    source: "npm emoji-datasource-google (1,911 emoji; images Google Noto, 64×64 PNG decoded with pngjs, shrunk to 16×16)",
    licence: "MIT (data) AND Apache-2.0 (images)"
  },
  metrics: [
    { name: "recall5", direction: "maximize", description: "held-out texts whose own image ranks in the top 5 of all held-out images" },
    { name: "recall1", direction: "maximize", description: "held-out texts whose own image ranks first" },
    { name: "loss", direction: "minimize", description: "mean cross-entropy of the matching image (nats)" }
  ],
  primaryMetric: "recall5",
  exampleTopology: { kind: KIND, vocab: 512, textLen: 12, hidden: 64, embed: 32, scale: 10, seed: 3 },
  topologyProblem: (t) => {
    if (t.kind !== KIND) return `topology.kind must be "${KIND}", got ${JSON.stringify(t.kind)}`
    for (const k of ["vocab", "textLen", "hidden", "embed", "seed"] as const) if (!Number.isInteger(t[k]) || (t[k] as number) < (k === "seed" ? 0 : 1)) return `${k} must be a positive integer`
    if (typeof t.scale !== "number" || !(t.scale > 0 && t.scale <= 100)) return "scale must be a number in (0, 100]"
    if ((t.vocab as number) > 8192 || (t.textLen as number) > 64 || (t.hidden as number) > 512 || (t.embed as number) > 256) return "vocab ≤ 8192, textLen ≤ 64, hidden ≤ 512, embed ≤ 256"
    return undefined
  },
  decode: (bytes, t) => decodeEmoji(bytes, asClip(t).vocab, asClip(t).textLen),
  build: async (tf, t) => clipModel(tf, asClip(t), PIXELS),
  batch: (tf, samples, indices, t) => batch(tf, samples, indices, asClip(t)),
  evaluate: (tf, model, samples, t) => evaluate(tf, model, samples, asClip(t)),
  aggregate: fedAvg,
  export: tfjsLayersExport,
  publicData: ({ shards, trainSamples, heldOutSamples }) => {
    const all = emojiSet()
    return {
      training: contiguousParts(all.slice(0, Math.min(trainSamples, HELD_OUT_FROM)), shards).map(encodeEmoji),
      validation: encodeEmoji(all.slice(HELD_OUT_FROM, HELD_OUT_FROM + heldOutSamples)),
      names: { training: "Emoji (Google images) with their names, training", validation: "Emoji with their names, held out" }
    }
  }
}
