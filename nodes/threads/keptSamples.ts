import type { Samples } from "../../workloads/kit/samples"
import type { MlJob } from "./jobs"

/**
 * Samples a thread keeps between jobs. Every judge of a task measures on the
 * same held-out set and replays a trainer's same shard, and copying them into
 * the thread for each job (hundreds of kB, new memory to collect every time)
 * cost a thread-run replay ~7 ms over one on the event loop (measured). So a
 * thread keeps the last few it was sent, by id, and the pool keeps a mirror
 * of each thread's: both apply the same operations in the same order (one
 * job at a time, messages in order), so the pool knows what the thread holds
 * and sends only an id for those.
 */
export const SAMPLES_KEPT = 8

export type SamplesOnWire = { readonly kept: number } | { readonly keep: number; readonly samples: Samples }

/** Least recently used first, at most SAMPLES_KEPT: the same on both sides. */
const lru = <V>() => {
  const entries = new Map<number, V>()
  return {
    use(id: number): V | undefined {
      const value = entries.get(id)
      if (value === undefined) return undefined
      entries.delete(id)
      entries.set(id, value)
      return value
    },
    add(id: number, value: V) {
      entries.set(id, value)
      if (entries.size > SAMPLES_KEPT) entries.delete(entries.keys().next().value!)
    }
  }
}

// One id per Samples object of this process (the data library hands out the same object for the same content).
const ids = new WeakMap<Samples, number>()
let nextId = 0
const idOf = (samples: Samples) => {
  let id = ids.get(samples)
  if (id === undefined) ids.set(samples, (id = ++nextId))
  return id
}

/** The pool's mirror of one thread's kept samples. */
export const samplesSender = () => {
  const kept = lru<true>()
  return (samples: Samples): SamplesOnWire => {
    const id = idOf(samples)
    if (kept.use(id)) return { kept: id }
    kept.add(id, true)
    return { keep: id, samples }
  }
}

/** A thread's kept samples. */
export const samplesReceiver = () => {
  const kept = lru<Samples>()
  return (wire: SamplesOnWire): Samples => {
    if ("samples" in wire) {
      kept.add(wire.keep, wire.samples)
      return wire.samples
    }
    const samples = kept.use(wire.kept)
    if (!samples) throw new Error(`ML thread: samples ${wire.kept} were not kept (the pool's mirror disagrees)`)
    return samples
  }
}

/** The job with each of its sample sets replaced by `f`'s (how the pool sends them and the thread takes them back). */
export const mapSamples = <A, B>(job: MlJob, f: (samples: A) => B): MlJob => {
  const g = f as unknown as (samples: Samples) => Samples
  switch (job.kind) {
    case "train":
      return { kind: "train", train: { ...job.train, samples: g(job.train.samples), validation: g(job.train.validation) } }
    case "replay":
      return { kind: "replay", replay: { ...job.replay, samples: g(job.replay.samples) } }
    case "measure":
      return { kind: "measure", measure: { ...job.measure, validation: g(job.measure.validation) } }
  }
}
