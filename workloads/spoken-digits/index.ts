import type { Tf } from "../../infra/ml/tf"
import { logMelFrames, type LogMelOptions } from "../kit/audio"
import { layersClassifier, twoStageCnn } from "../kit/layersClassifier"
import type { Samples } from "../kit/samples"
import { contiguousParts } from "../workload"
import { RECIPE, encodeUtterances, readUtterances, recipeRecord, utterances } from "./recipe"

/**
 * Audio–text: which digit word was spoken, from speech synthesised offline
 * by espeak-ng (./recipe.ts). Shards hold the PCM; every node computes the
 * same log-mel frames from it in TypeScript (kit/audio.ts): 80 frames of
 * 23 ms every 11.6 ms, 24 mel bands from 60 Hz to 5 kHz, as an 80×24×1
 * "image" that any small Sequential model classifies into 10 words.
 */
export const FEATURES: LogMelOptions = { rate: RECIPE.sampleRate, window: 256, hop: 128, frames: 80, mels: 24, lowHz: 60, highHz: 5000 }
export const WORDS = RECIPE.words.length

const decode = (bytes: Uint8Array): Samples => {
  const items = readUtterances(bytes)
  const size = FEATURES.frames * FEATURES.mels
  const x = new Float32Array(items.length * size)
  const y = new Int32Array(items.length)
  items.forEach((u, i) => {
    x.set(logMelFrames(u.pcm, FEATURES), i * size)
    y[i] = u.label
  })
  return { count: items.length, x, xShape: [FEATURES.frames, FEATURES.mels, 1], y, yWidth: 1 }
}

/** A small CNN over log-mel frames: conv/pool twice (time × frequency), then a softmax over the words. */
export const spokenDigitsLayers = (tf: Tf, seed = 1) => twoStageCnn(tf, { name: "spoken_digits_cnn", inputShape: [FEATURES.frames, FEATURES.mels, 1], classes: WORDS, seed })

export const spokenDigits = layersClassifier({
  id: "spoken-digits",
  title: "Spoken digit words (zero–nine) synthesised by espeak-ng, recognised from log-mel frames by a CNN; held-out voices unseen in training",
  family: "audio-text",
  data: {
    format: "speech-pcm16-jsonl",
    source: "Generated offline by Debian's espeak-ng from a recorded recipe (8 English accents × 34 voice variants × speeds × pitches); npm run spoken-digits regenerates it",
    licence: "CC0-1.0 (synthesised speech; espeak-ng itself is GPL-3.0-or-later)"
  },
  inputShape: [FEATURES.frames, FEATURES.mels, 1],
  classes: WORDS,
  what: "utterances",
  preprocessing: "log-mel-80x24-standardised",
  decode,
  publicData: ({ shards, trainSamples, heldOutSamples }) => ({
    training: contiguousParts(utterances("training", 0, trainSamples), shards).map(encodeUtterances),
    validation: encodeUtterances(utterances("heldOut", 0, heldOutSamples)),
    names: { training: "Spoken digits, espeak-ng training voices", validation: "Spoken digits, espeak-ng held-out voices" },
    recipe: { training: recipeRecord("training"), validation: recipeRecord("heldOut") }
  })
})
