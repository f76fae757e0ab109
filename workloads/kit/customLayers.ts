import type { Tf } from "../../infra/ml/tf"

/** A custom layer class's constructor, as the model builders use it. */
export type LayerClass<C> = new (config: C) => InstanceType<Tf["layers"]["Layer"]>

/**
 * Custom TF.js layer classes, defined and registered once per TF.js
 * instance: a class must extend that instance's `Layer`, and registering a
 * class name twice would replace the first.
 */
export const perTfInstance = <Classes>(define: (tf: Tf) => Classes): ((tf: Tf) => Classes) => {
  const made = new WeakMap<object, Classes>()
  return (tf) => {
    let classes = made.get(tf)
    if (!classes) made.set(tf, (classes = define(tf)))
    return classes
  }
}
