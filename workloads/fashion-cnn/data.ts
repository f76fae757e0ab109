import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import type { Samples } from "../kit/samples"

/**
 * Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey images of
 * clothing in 10 classes, 60,000 for training and 10,000 for testing, from
 * Debian's `dataset-fashion-mnist` package (scripts/install.sh unpacks it
 * into .tools/; a system-wide install or FASHION_MNIST_DIR works too).
 *
 * Shard format `gray28-u8`: records of 785 bytes, the label then the 784
 * pixels row by row. A shard's content hash is over exactly those bytes.
 */
export const SIDE = 28
export const RECORD = 1 + SIDE * SIDE
export const CLASSES = 10
export const CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

const candidates = () => [process.env.FASHION_MNIST_DIR, join(process.cwd(), ".tools/fashion-mnist/usr/share/datasets/fashion-mnist"), "/usr/share/datasets/fashion-mnist"]

export const fashionDir = (): string => {
  const dir = candidates().find((d) => d !== undefined && existsSync(join(d, "t10k-images-idx3-ubyte.gz")))
  if (!dir) throw new Error("Fashion-MNIST not found: run scripts/install.sh (it unpacks Debian's dataset-fashion-mnist into .tools/) or set FASHION_MNIST_DIR")
  return dir
}

const idx = (file: string) => gunzipSync(readFileSync(join(fashionDir(), file)))

/** `count` records of a split from `from` on, in the shard format. */
export const fashionRecords = (split: "train" | "t10k", from: number, count: number): Uint8Array => {
  const images = idx(`${split}-images-idx3-ubyte.gz`)
  const labels = idx(`${split}-labels-idx1-ubyte.gz`)
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error("Fashion-MNIST files are not IDX images and labels")
  const available = images.readUInt32BE(4)
  if (from + count > available) throw new Error(`Fashion-MNIST ${split} has ${available} images, asked for ${from}..${from + count}`)
  const out = new Uint8Array(count * RECORD)
  for (let i = 0; i < count; i++) {
    out[i * RECORD] = labels[8 + from + i]!
    out.set(images.subarray(16 + (from + i) * SIDE * SIDE, 16 + (from + i + 1) * SIDE * SIDE), i * RECORD + 1)
  }
  return out
}

export const decodeRecords = (bytes: Uint8Array): Samples => {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) throw new Error(`gray28-u8 shard: ${bytes.length} bytes is not a whole number of ${RECORD}-byte records`)
  const count = bytes.length / RECORD
  const x = new Float32Array(count * SIDE * SIDE)
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const label = bytes[i * RECORD]!
    if (label >= CLASSES) throw new Error(`gray28-u8 shard: record ${i} has label ${label}`)
    y[i] = label
    for (let p = 0; p < SIDE * SIDE; p++) x[i * SIDE * SIDE + p] = bytes[i * RECORD + 1 + p]! / 255
  }
  return { count, x, xShape: [SIDE, SIDE, 1], y, yWidth: 1 }
}
