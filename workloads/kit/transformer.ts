import type { LayersModel, SymbolicTensor, Tensor } from "@tensorflow/tfjs"
import type { Tf } from "../../infra/ml/tf"
import { perTfInstance, type LayerClass } from "./customLayers"

/**
 * A small transformer in TF.js Layers, for the text workloads. TF.js 4.22 has
 * no attention layer, so `SelfAttention` is one (multi-head, optionally
 * causal), built from ops every backend has gradients for. Token embeddings
 * are a bias-free dense layer over one-hot inputs (one-hot × matrix): the
 * wasm backend has no gradient kernel for Embedding's gather
 * (UnsortedSegmentSum), and a matmul's gradient it has. Positions are added
 * as fixed sinusoids. Every layer is named and every initializer seeded, so
 * one topology builds the same initial weights in every process.
 */
export interface TransformerShape {
  readonly vocab: number
  readonly seqLen: number
  readonly dModel: number
  readonly heads: number
  readonly blocks: number
  readonly ffn: number
}

interface AttentionConfig {
  readonly dModel: number
  readonly heads: number
  readonly causal: boolean
  readonly seed: number
  readonly name: string
}

/** The custom layer classes, made once per TF.js instance. */
const layerClasses = perTfInstance((tf: Tf) => {
  class SelfAttention extends tf.layers.Layer {
    static className = "NeuraSelfAttention"
    private readonly cfg: AttentionConfig
    private w: Array<ReturnType<SelfAttention["addWeight"]>> = []
    constructor(config: AttentionConfig) {
      super({ name: config.name })
      this.cfg = config
    }
    override build(): void {
      const d = this.cfg.dModel
      this.w = ["query", "key", "value", "output"].map((n, i) =>
        this.addWeight(n, [d, d], "float32", tf.initializers.glorotUniform({ seed: this.cfg.seed + i }))
      )
      this.built = true
    }
    override computeOutputShape(shape: Array<number | null>): Array<number | null> {
      return shape
    }
    override call(inputs: Tensor | Array<Tensor>): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs
        const [b, t, d] = x.shape as [number, number, number]
        const h = this.cfg.heads
        const dh = d / h
        const flat = x.reshape([b * t, d])
        const project = (w: (typeof this.w)[number]) => tf.matMul(flat, w.read()).reshape([b, t, h, dh]).transpose([0, 2, 1, 3])
        const [q, k, v] = [project(this.w[0]!), project(this.w[1]!), project(this.w[2]!)]
        let scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dh))
        if (this.cfg.causal) {
          // -1e9 above the diagonal: position i attends to positions <= i only.
          const mask = tf.linalg.bandPart(tf.ones([t, t]), -1, 0)
          scores = scores.add(tf.sub(1, mask).mul(-1e9))
        }
        const mixed = tf.matMul(tf.softmax(scores), v).transpose([0, 2, 1, 3]).reshape([b * t, d])
        return tf.matMul(mixed, this.w[3]!.read()).reshape([b, t, d])
      })
    }
    override getConfig() {
      return { ...super.getConfig(), dModel: this.cfg.dModel, heads: this.cfg.heads, causal: this.cfg.causal, seed: this.cfg.seed }
    }
  }
  class SinusoidalPositions extends tf.layers.Layer {
    static className = "NeuraSinusoidalPositions"
    override computeOutputShape(shape: Array<number | null>): Array<number | null> {
      return shape
    }
    override call(inputs: Tensor | Array<Tensor>): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs
        const [, t, d] = x.shape as [number, number, number]
        const table = new Float32Array(t * d)
        for (let p = 0; p < t; p++)
          for (let i = 0; i < d; i++) {
            const angle = p / Math.pow(10_000, (2 * Math.floor(i / 2)) / d)
            table[p * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle)
          }
        return x.add(tf.tensor3d(table, [1, t, d]))
      })
    }
  }
  /**
   * Layer normalisation over the last axis from elementwise ops: TF.js's own
   * LayerNormalization costs about 50x more per training step on wasm
   * (measured: 150 ms vs 3 ms at 32×64×16), which made the whole
   * transformer step several times slower.
   */
  class Norm extends tf.layers.Layer {
    static className = "NeuraLayerNorm"
    private gamma: ReturnType<Norm["addWeight"]> | undefined
    private beta: ReturnType<Norm["addWeight"]> | undefined
    override build(shape: Array<number | null> | Array<Array<number | null>>): void {
      const last = (shape as Array<number>)[(shape as Array<number>).length - 1]!
      this.gamma = this.addWeight("gamma", [last], "float32", tf.initializers.ones())
      this.beta = this.addWeight("beta", [last], "float32", tf.initializers.zeros())
      this.built = true
    }
    override computeOutputShape(shape: Array<number | null>): Array<number | null> {
      return shape
    }
    override call(inputs: Tensor | Array<Tensor>): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs
        const centred = x.sub(x.mean(-1, true))
        const variance = centred.square().mean(-1, true)
        return centred.mul(tf.rsqrt(variance.add(1e-3))).mul(this.gamma!.read()).add(this.beta!.read())
      })
    }
  }
  tf.serialization.registerClass(SelfAttention)
  tf.serialization.registerClass(SinusoidalPositions)
  tf.serialization.registerClass(Norm)
  return {
    attention: SelfAttention as unknown as LayerClass<AttentionConfig>,
    positions: SinusoidalPositions as unknown as LayerClass<{ name: string }>,
    norm: Norm as unknown as LayerClass<{ name: string }>
  }
})

/** Pre-norm blocks: x + attention(norm(x)), then x + ffn(norm(x)). */
const encoder = (tf: Tf, shape: TransformerShape, causal: boolean, seed: number) => {
  const { attention, positions, norm } = layerClasses(tf)
  const input = tf.input({ shape: [shape.seqLen, shape.vocab], name: "tokens" })
  let x = tf.layers.dense({ units: shape.dModel, useBias: false, name: "embed", kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as SymbolicTensor
  x = new positions({ name: "positions" }).apply(x) as SymbolicTensor
  for (let b = 0; b < shape.blocks; b++) {
    const s = seed + 100 * (b + 1)
    const a = new attention({ dModel: shape.dModel, heads: shape.heads, causal, seed: s, name: `b${b}_attention` }).apply(
      new norm({ name: `b${b}_norm1` }).apply(x)
    ) as SymbolicTensor
    x = tf.layers.add({ name: `b${b}_res1` }).apply([x, a]) as SymbolicTensor
    const n2 = new norm({ name: `b${b}_norm2` }).apply(x)
    const up = tf.layers.dense({ units: shape.ffn, activation: "relu", name: `b${b}_ffn_up`, kernelInitializer: tf.initializers.glorotUniform({ seed: s + 10 }) }).apply(n2)
    const down = tf.layers.dense({ units: shape.dModel, name: `b${b}_ffn_down`, kernelInitializer: tf.initializers.glorotUniform({ seed: s + 11 }) }).apply(up)
    x = tf.layers.add({ name: `b${b}_res2` }).apply([x, down as SymbolicTensor]) as SymbolicTensor
  }
  x = new norm({ name: "final_norm" }).apply(x) as SymbolicTensor
  return { input, x }
}

/** Classify a token sequence: encoder, mean over positions, softmax over classes. */
export const transformerClassifier = (tf: Tf, shape: TransformerShape, classes: number, seed: number): LayersModel => {
  const { input, x } = encoder(tf, shape, false, seed)
  const pooled = tf.layers.globalAveragePooling1d({ name: "pool" }).apply(x)
  const out = tf.layers.dense({ units: classes, activation: "softmax", name: "classify", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(pooled) as SymbolicTensor
  return tf.model({ inputs: input, outputs: out, name: "transformer_classifier" })
}

/** Predict the next token at every position: causal encoder, softmax over the vocabulary. */
export const transformerLanguageModel = (tf: Tf, shape: TransformerShape, seed: number): LayersModel => {
  const { input, x } = encoder(tf, shape, true, seed)
  const out = tf.layers.dense({ units: shape.vocab, activation: "softmax", name: "next_token", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as SymbolicTensor
  return tf.model({ inputs: input, outputs: out, name: "transformer_lm" })
}

/** Why a transformer shape is not buildable (or too big for the network's nodes), or undefined. */
export const transformerShapeProblem = (t: TransformerShape, limits: { readonly maxVocab: number; readonly maxSeqLen: number; readonly maxDModel: number; readonly maxBlocks: number }): string | undefined => {
  const keys = ["vocab", "seqLen", "dModel", "heads", "blocks", "ffn"] as const
  const ints = keys.map((k) => [k, t[k]] as const).filter(([, v]) => !Number.isInteger(v) || v < 1)
  if (ints.length > 0) return `${ints.map(([k]) => k).join(", ")} must be positive integers`
  if (t.vocab > limits.maxVocab) return `vocab ${t.vocab} exceeds ${limits.maxVocab}`
  if (t.seqLen > limits.maxSeqLen) return `seqLen ${t.seqLen} exceeds ${limits.maxSeqLen}`
  if (t.dModel > limits.maxDModel) return `dModel ${t.dModel} exceeds ${limits.maxDModel}`
  if (t.blocks > limits.maxBlocks) return `blocks ${t.blocks} exceeds ${limits.maxBlocks}`
  if (t.dModel % t.heads !== 0) return `dModel ${t.dModel} is not divisible by heads ${t.heads}`
  return undefined
}
