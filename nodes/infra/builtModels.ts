import type { LayersModel } from "@tensorflow/tfjs"
import type { Tf } from "../../infra/ml/tf"
import type { Workload } from "../../workloads/workload"

/**
 * Built models kept between jobs on the thread that built them, by workload
 * and topology. A judge's replay and held-out measurement each built a fresh
 * model only to overwrite every weight, and a fresh model's first steps run
 * slower than a used one's: on the event loop a digits segment replay took
 * 18.8-19.3 ms with a kept model against 22.6-24.7 ms with a fresh one, a
 * held-out measurement 2.3-2.4 against 2.8-2.9 ms (40 alternations each, two
 * runs). A job takes a model out (two jobs in flight on one thread never
 * share one) and gives it back when it ends well; one that failed is
 * disposed. Whoever takes a model must set all of its weights before using
 * it (a restore, `setWeightBytes`): a kept model holds the last job's.
 * A workload's training is a function of the weights, the optimizer's state,
 * the data, the plan, the seed and the step, nothing else (workload.ts,
 * docs/protocol.md §4), so the same state gives the same steps, bit for bit,
 * in a kept model as in a fresh one (tests/unit/ml/builtModels.spec.ts).
 * At most one idle model per shape and two shapes a thread: a node works on
 * one task's model at a time, and a large model is not kept twice.
 */
const KEPT_PER_SHAPE = 1
const KEPT_SHAPES = 2
const idle = new Map<string, Array<LayersModel>>()

const keep = (key: string, model: LayersModel) => {
  const list = idle.get(key) ?? []
  // Most recently used last: the first key is the one to let go.
  idle.delete(key)
  if (list.length >= KEPT_PER_SHAPE) model.dispose()
  else list.push(model)
  idle.set(key, list)
  while (idle.size > KEPT_SHAPES) {
    const [oldest, models] = idle.entries().next().value!
    idle.delete(oldest)
    for (const m of models) m.dispose()
  }
}

/** `use` on a model of the workload's topology, built or kept; every weight of it must be set before it is used. */
export const withBuiltModel = async <T>(tf: Tf, workload: Workload, topology: Record<string, unknown>, use: (model: LayersModel) => Promise<T>): Promise<T> => {
  const key = `${workload.id}\u0000${JSON.stringify(topology)}`
  const model = idle.get(key)?.pop() ?? (await workload.build(tf, topology))
  let ended = false
  try {
    const result = await use(model)
    ended = true
    return result
  } finally {
    if (ended) keep(key, model)
    else model.dispose()
  }
}

/** Models kept now (specs). */
export const keptModels = (): number => [...idle.values()].reduce((n, list) => n + list.length, 0)
