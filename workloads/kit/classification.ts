import { isMainThread } from "node:worker_threads"
import type { LayersModel, Tensor } from "@tensorflow/tfjs"
import type { Tf } from "../../infra/ml/tf"
import { tidyValues } from "../../infra/ml/model"
import { batchesOf, gatherRows, type Samples } from "./samples"

/**
 * Training batches and held-out measurement for classifiers and next-token
 * models. Targets are one-hot (categorical cross-entropy for every workload);
 * token inputs become one-hot too (see transformer.ts for why).
 */
export interface BatchOptions {
  /** Classes per target position (classes, or the vocabulary for next-token targets). */
  readonly classes: number
  /** When the inputs are token ids: the vocabulary, and they are one-hot encoded. */
  readonly tokenVocab?: number
}

export const batchTensors = (tf: Tf, samples: Samples, indices: ArrayLike<number>, o: BatchOptions): { xs: Tensor; ys: Tensor } => {
  const { x, y, n } = gatherRows(samples, indices)
  return tf.tidy(() => {
    const xs = o.tokenVocab
      ? tf.oneHot(tf.tensor(Int32Array.from(x), [n, ...samples.xShape], "int32"), o.tokenVocab).toFloat()
      : tf.tensor(x, [n, ...samples.xShape], "float32")
    const ys = tf.oneHot(tf.tensor(y, samples.yWidth === 1 ? [n] : [n, samples.yWidth], "int32"), o.classes).toFloat()
    return { xs, ys }
  })
}

export interface Measured {
  /** Fraction of targets predicted right (per position for next-token models). */
  readonly accuracy: number
  /** Mean cross-entropy per target, in nats. */
  readonly loss: number
  /** counts[actual * classes + predicted], for the F1 of binary tasks. */
  readonly confusion: Float64Array
}

/** Input values one evaluation batch may hold (one-hot token inputs are large: 64 tokens × 2048 ids is 131k per sample). */
const BATCH_VALUES = 2_000_000

/** Accuracy, mean cross-entropy and confusion counts, one target at a time (whatever computed the predictions). */
const tally = (classes: number) => {
  let correct = 0
  let nll = 0
  let targets = 0
  const confusion = new Float64Array(classes * classes)
  return {
    add: (predicted: number, actual: number, loss: number) => {
      if (predicted === actual) correct++
      confusion[actual * classes + predicted]! += 1
      nll += loss
      targets++
    },
    result: (): Measured => ({ accuracy: correct / targets, loss: nll / targets, confusion })
  }
}

/**
 * Samples one evaluation batch may hold. On a node's event loop 256, so one
 * synchronous kernel call never holds it for long. On an ML thread
 * (nodes/threads) nothing else waits on the loop, and a whole held-out set
 * in one pass costs less: a digits evaluation (1,797 samples) 1.8 → 1.1 ms
 * for the MLP and 3.7 → 2.9 ms for the CNN (medians of 15 interleaved
 * runs), which every judge and every trainer pays. Each sample's prediction
 * is the one it gets alone, whatever the batch (evaluation.int).
 */
const MAX_BATCH = isMainThread ? 256 : 2048

/**
 * Accuracy, mean cross-entropy and the confusion counts of a model on a set,
 * in batches of at most `maxBatch` samples and BATCH_VALUES input values.
 */
export const measure = (tf: Tf, model: LayersModel, samples: Samples, o: BatchOptions, maxBatch = MAX_BATCH): Measured => {
  const perSample = samples.xShape.reduce((a, b) => a * b, 1) * (o.tokenVocab ?? 1)
  const batch = Math.max(1, Math.min(maxBatch, Math.floor(BATCH_VALUES / perSample)))
  const counts = tally(o.classes)
  for (const idx of batchesOf(samples.count, batch)) {
    const { xs, ys } = batchTensors(tf, samples, idx, o)
    const { predicted, actual, losses } = tidyValues(tf, () => {
      // The whole batch in one pass: predict's default (32 a pass) split each
      // batch into up to 8 passes of per-call overhead, half of an
      // evaluation's time, for the same numbers.
      const probs = model.predict(xs, { batchSize: idx.length }) as Tensor
      const picked = tf.sum(tf.mul(ys, tf.log(probs.clipByValue(1e-7, 1))), -1).neg()
      return { predicted: probs.argMax(-1), actual: ys.argMax(-1), losses: picked }
    })
    xs.dispose()
    ys.dispose()
    for (let i = 0; i < predicted.length; i++) counts.add(predicted[i]!, actual[i]!, losses[i]!)
  }
  return counts.result()
}

/** F1 of the positive class (class 1) of a binary confusion matrix; 0 when nothing is predicted or present. */
export const binaryF1 = (confusion: Float64Array): number => {
  const tp = confusion[3]!
  const fp = confusion[1]!
  const fn = confusion[2]!
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)
}

/**
 * The same measures for a model this network does not build (an ONNX
 * submission run by onnxruntime): fed the inputs as the workload's io
 * declares them, read from its class probabilities. One-input classifiers.
 */
export const measureForeign = async (
  samples: Samples,
  classes: number,
  run: (inputs: ReadonlyArray<{ readonly data: Float32Array; readonly dims: ReadonlyArray<number> }>) => Promise<ReadonlyArray<Float32Array>>
): Promise<Measured> => {
  const counts = tally(classes)
  for (const idx of batchesOf(samples.count, 256)) {
    const { x, y, n } = gatherRows(samples, idx)
    const probs = (await run([{ data: x, dims: [n, ...samples.xShape] }]))[0]!
    if (probs.length !== n * classes) throw new Error(`the model answered ${probs.length} values for ${n} samples of ${classes} classes`)
    for (let i = 0; i < n; i++) {
      const row = probs.subarray(i * classes, (i + 1) * classes)
      let predicted = 0
      for (let k = 1; k < classes; k++) if (row[k]! > row[predicted]!) predicted = k
      counts.add(predicted, y[i]!, -Math.log(Math.min(1, Math.max(1e-7, row[y[i]!]!))))
    }
  }
  return counts.result()
}
