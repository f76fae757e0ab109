/**
 * Checks on a TF.js Layers topology (the JSON `model.toJSON()` writes) that
 * a workload can make without loading TF.js: the input shape its data has,
 * the classes its targets have, and only layers that train deterministically.
 */
const DETERMINISTIC = new Set([
  "Dense", "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
  "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
  "Flatten", "Reshape", "Activation", "BatchNormalization", "LayerNormalization", "Permute", "ZeroPadding2D"
])

const same = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>) => a.length === b.length && a.every((x, i) => x === b[i])

export const sequentialProblem = (
  topology: Record<string, unknown>,
  expect: { readonly inputShape: ReadonlyArray<number>; readonly classes: number; readonly maxLayers?: number }
): string | undefined => {
  if (topology.class_name !== "Sequential") return `a Sequential TF.js Layers model is expected, got class_name ${JSON.stringify(topology.class_name)}`
  const layers = (topology.config as { layers?: unknown } | undefined)?.layers
  if (!Array.isArray(layers) || layers.length === 0) return "config.layers must be a non-empty array"
  if (layers.length > (expect.maxLayers ?? 32)) return `at most ${expect.maxLayers ?? 32} layers`
  for (const [i, l] of layers.entries()) {
    const name = (l as { class_name?: unknown }).class_name
    if (typeof name !== "string" || !DETERMINISTIC.has(name)) return `layer ${i}: ${JSON.stringify(name)} is not a layer this workload trains reproducibly (${[...DETERMINISTIC].join(", ")})`
  }
  const config = (i: number) => ((layers[i] as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>
  const input = config(0).batch_input_shape
  if (!Array.isArray(input) || input[0] !== null || !same(input.slice(1), expect.inputShape)) {
    return `the first layer's batch_input_shape must be [null, ${expect.inputShape.join(", ")}], got ${JSON.stringify(input)}`
  }
  const last = layers[layers.length - 1] as { class_name?: unknown }
  const out = config(layers.length - 1)
  if (last.class_name !== "Dense" || out.units !== expect.classes || out.activation !== "softmax") {
    return `the last layer must be Dense with ${expect.classes} units and softmax activation`
  }
  return undefined
}
