import type { TransformerShape } from "./transformer"
import { transformerShapeProblem } from "./transformer"

/**
 * The topology of a text workload: not TF.js Layers JSON (TF.js cannot
 * serialise the custom attention layer portably) but the transformer's
 * shape, which the workload builds with seeded initializers.
 */
export interface TextTopology extends TransformerShape {
  readonly kind: string
  readonly seed: number
}

const LIMITS = { maxVocab: 8192, maxSeqLen: 256, maxDModel: 256, maxBlocks: 4 }

export const textTopologyProblem = (t: Record<string, unknown>, kind: string, fixed: Partial<Record<keyof TextTopology, number>> = {}): string | undefined => {
  if (t.kind !== kind) return `topology.kind must be "${kind}", got ${JSON.stringify(t.kind)}`
  const keys = ["vocab", "seqLen", "dModel", "heads", "blocks", "ffn", "seed"] as const
  const missing = keys.filter((k) => typeof t[k] !== "number")
  if (missing.length > 0) return `topology needs numbers ${missing.join(", ")}`
  if (!Number.isInteger(t.seed) || (t.seed as number) < 0) return "seed must be a non-negative integer"
  for (const [k, v] of Object.entries(fixed)) if (t[k] !== v) return `${k} must be ${v} for this workload`
  return transformerShapeProblem(t as unknown as TransformerShape, LIMITS)
}

export const asTextTopology = (t: Record<string, unknown>): TextTopology => t as unknown as TextTopology
