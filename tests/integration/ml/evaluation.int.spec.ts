import { describe, expect, it } from "vitest"
import { loadTf } from "../../../infra/ml/tf"
import { layersTopology } from "../../../nodes/workloadTask"
import { digits, digitsCnnLayers, digitsMlpLayers } from "../../../workloads/digits"
import { measure, measureForeign } from "../../../workloads/kit/classification"
import { digitsShards } from "../../support/sampleWork"

/**
 * Held-out measurement predicts a batch of up to 256 samples in one pass
 * on a node's event loop, the whole set on an ML thread (classification.ts
 * `measure`). A sample's prediction must not depend on
 * the samples beside it: trainers and judges compare these numbers, and a
 * batch boundary moved by a new batch size must not move a verdict. The
 * reference predicts every sample alone.
 */
describe("held-out measurement", () => {
  it("gives every sample the prediction it gets alone (digits MLP and CNN, wasm)", async () => {
    const tf = await loadTf()
    const shards = await digitsShards()
    for (const layers of [digitsMlpLayers(tf.tf, 3), digitsCnnLayers(tf.tf, 3)]) {
      const topology = layersTopology(layers)
      layers.dispose()
      const model = await digits.build(tf.tf, topology)
      const heldOut = digits.decode(shards.bytes.validation, topology)
      // Both batch sizes measure uses: a node's event loop's (256) and an ML thread's (the whole set).
      const batchedOnEventLoop = measure(tf.tf, model, heldOut, { classes: 10 }, 256)
      const batched = measure(tf.tf, model, heldOut, { classes: 10 }, 2048)
      const alone = await measureForeign(heldOut, 10, async ([input]) => {
        const [n, ...shape] = input!.dims
        const rowSize = shape.reduce((a, b) => a * b, 1)
        const out = new Float32Array(n! * 10)
        for (let i = 0; i < n!; i++) {
          const probs = tf.tf.tidy(() => (model.predict(tf.tf.tensor(input!.data.subarray(i * rowSize, (i + 1) * rowSize), [1, ...shape])) as import("@tensorflow/tfjs-core").Tensor).dataSync())
          out.set(probs, i * 10)
        }
        return [out]
      })
      model.dispose()
      expect(heldOut.count).toBeGreaterThan(1000)
      for (const m of [batchedOnEventLoop, batched]) {
        expect(Array.from(m.confusion)).toEqual(Array.from(alone.confusion))
        expect(m.accuracy).toBe(alone.accuracy)
        // The loss is summed in another order (tf ops vs JS), so only to float precision.
        expect(m.loss).toBeCloseTo(alone.loss, 5)
      }
      // Trainer and judge may measure on either: the same numbers, the loss to the last bit.
      expect(batched).toEqual(batchedOnEventLoop)
    }
  }, 120_000)
})
