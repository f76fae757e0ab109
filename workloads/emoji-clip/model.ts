import type { LayersModel, SymbolicTensor, Tensor } from "@tensorflow/tfjs"
import type { Tf } from "../../infra/ml/tf"
import { perTfInstance, type LayerClass } from "../kit/customLayers"

/**
 * A CLIP-style dual encoder: images (16×16 RGB, flattened) and texts (hashed
 * word ids, one-hot) are each embedded and L2-normalised; `TextToImage`
 * scores every text of a batch against every image of it (scaled cosine)
 * and softmaxes over the images, so with identity targets categorical
 * cross-entropy is the text→image half of the contrastive (InfoNCE) loss.
 * Row i of the output is text i's distribution over the batch's images.
 */
export interface ClipTopology {
  readonly kind: "clip-dual-encoder"
  readonly vocab: number
  readonly textLen: number
  readonly hidden: number
  readonly embed: number
  /** The similarity scale (inverse temperature). */
  readonly scale: number
  readonly seed: number
}

/** The custom layer classes, made once per TF.js instance. */
const layers = perTfInstance((tf: Tf) => {
  class L2Normalise extends tf.layers.Layer {
    static className = "NeuraL2Normalise"
    override computeOutputShape(shape: Array<number | null>): Array<number | null> {
      return shape
    }
    override call(inputs: Tensor | Array<Tensor>): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs
        return x.div(x.square().sum(-1, true).add(1e-8).sqrt())
      })
    }
  }
  class TextToImage extends tf.layers.Layer {
    static className = "NeuraTextToImage"
    private readonly scale: number
    constructor(config: { name: string; scale: number }) {
      super({ name: config.name })
      this.scale = config.scale
    }
    override computeOutputShape(shapes: Array<Array<number | null>>): Array<number | null> {
      return [shapes[0]![0]!, shapes[1]![0]!]
    }
    override call(inputs: Tensor | Array<Tensor>): Tensor {
      return tf.tidy(() => {
        const [text, image] = inputs as Array<Tensor>
        return tf.softmax(tf.matMul(text!, image!, false, true).mul(this.scale))
      })
    }
    override getConfig() {
      return { ...super.getConfig(), scale: this.scale }
    }
  }
  tf.serialization.registerClass(L2Normalise)
  tf.serialization.registerClass(TextToImage)
  return {
    normalise: L2Normalise as unknown as LayerClass<{ name: string }>,
    similarity: TextToImage as unknown as LayerClass<{ name: string; scale: number }>
  }
})

export const clipModel = (tf: Tf, t: ClipTopology, pixels: number): LayersModel => {
  const { normalise, similarity } = layers(tf)
  const init = (k: number) => tf.initializers.glorotUniform({ seed: t.seed + k })
  const image = tf.input({ shape: [pixels], name: "image" })
  const text = tf.input({ shape: [t.textLen, t.vocab], name: "text" })
  const imageHidden = tf.layers.dense({ units: t.hidden, activation: "relu", name: "image_hidden", kernelInitializer: init(1) }).apply(image)
  const imageEmbed = new normalise({ name: "image_norm" }).apply(
    tf.layers.dense({ units: t.embed, name: "image_embed", kernelInitializer: init(2) }).apply(imageHidden)
  ) as SymbolicTensor
  const words = tf.layers.dense({ units: t.hidden, useBias: false, name: "word_embed", kernelInitializer: init(3) }).apply(text)
  const pooled = tf.layers.globalAveragePooling1d({ name: "text_pool" }).apply(words)
  const textEmbed = new normalise({ name: "text_norm" }).apply(
    tf.layers.dense({ units: t.embed, name: "text_embed", kernelInitializer: init(4) }).apply(pooled)
  ) as SymbolicTensor
  const scores = new similarity({ name: "text_to_image", scale: t.scale }).apply([textEmbed, imageEmbed]) as SymbolicTensor
  return tf.model({ inputs: [image, text], outputs: scores, name: "emoji_clip" })
}
