import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client"

/**
 * The process's Prometheus metrics (prom-client): one registry per process,
 * served by the API at GET /metrics. Infrastructure counts what only it can
 * see, e.g. how often an append had to be resealed because another writer
 * moved the single hash chain's head (the cost of one global chain with
 * several API processes).
 */
export const registry = new Registry()
collectDefaultMetrics({ register: registry, prefix: "neuralink_" })

export const appendsTotal = new Counter({
  name: "neuralink_appends_total",
  help: "Commits appended to the event log by this process, by outcome (committed, or duplicate: a retried command id answered from the log)",
  labelNames: ["outcome"] as const,
  registers: [registry]
})

export const appendForwards = new Counter({
  name: "neuralink_append_forwards_total",
  help: "Appends through the writer lease: forwarded to the holder, appended here because no holder answered (appendedHere), or served for another process",
  labelNames: ["outcome"] as const,
  registers: [registry]
})

export const writerLeaseHeld = new Gauge({
  name: "neuralink_writer_lease_held",
  help: "1 while this process holds the writer lease (it appends for every API process on the log), 0 while it forwards its appends",
  registers: [registry]
})

export const appendReseals = new Counter({
  name: "neuralink_append_reseals_total",
  help: "Appends resealed and retried because another writer moved the log's head (hash-chain contention)",
  registers: [registry]
})

export const appendSeconds = new Histogram({
  name: "neuralink_append_seconds",
  help: "Time to append one commit (seal, publish, replicated and fsynced acknowledgement)",
  buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry]
})

export const commandsTotal = new Counter({
  name: "neuralink_commands_total",
  help: "Signed commands answered by the API, by type and HTTP status",
  labelNames: ["type", "status"] as const,
  registers: [registry]
})

/** Samples a trainer trained (one per sample per epoch), by workload. */
export const trainingSamplesTotal = new Counter({
  name: "neuralink_training_samples_total",
  help: "Samples trained by this process's trainers (per epoch), by workload",
  labelNames: ["workload"] as const,
  registers: [registry]
})

/** Trainings done ahead of their round (trained), and those a round's dispatch then found ready (used). */
export const trainerSpeculations = new Counter({
  name: "neuralink_trainer_speculations_total",
  help: "Next-round trainings done while the round before was verified (trained), and those the round's dispatch then used (used)",
  labelNames: ["outcome"] as const,
  registers: [registry]
})

/** The last training run's throughput, per node. */
export const trainingSamplesPerSecond = new Gauge({
  name: "neuralink_training_samples_per_second",
  help: "Samples per second of the last training run (steps, checkpoints and the held-out measurement included), by node",
  labelNames: ["node"] as const,
  registers: [registry]
})

/** Votes revealed by this process's validators, by verdict. */
export const validatorVerdictsTotal = new Counter({
  name: "neuralink_validator_verdicts_total",
  help: "Verification votes revealed by this process's validators, by verdict (accept, reject)",
  labelNames: ["verdict"] as const,
  registers: [registry]
})

export const anchorGas = new Histogram({
  name: "neuralink_anchor_gas",
  help: "Gas used by each anchoring transaction of this process's chain bridge",
  buckets: [30_000, 50_000, 70_000, 80_000, 90_000, 120_000, 200_000],
  registers: [registry]
})

/**
 * Values read when Prometheus scrapes (they cost a request each: a NATS
 * consumer's pending count, the log's head): providers register a reader
 * per label value and the gauge asks them all at scrape time.
 */
const scraped = (name: string, help: string, label: string) => {
  const readers = new Map<string, () => Promise<number>>()
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [value, read] of readers) {
        const n = await read().catch(() => undefined)
        if (n !== undefined) this.set({ [label]: value }, n)
      }
    }
  })
  return {
    /** Add a reader; the returned function removes it. */
    add: (value: string, read: () => Promise<number>) => {
      readers.set(value, read)
      return () => {
        if (readers.get(value) === read) readers.delete(value)
      }
    }
  }
}

/** Work items waiting in a node's queue (its consumer's pending count). */
export const workQueueDepth = scraped("neuralink_work_queue_pending", "Work items waiting in a node's queue (its JetStream consumer's pending count), by node", "node")

/** How far a read-model set trails the log: head position minus projected position. */
export const projectionLag = scraped("neuralink_projection_lag_positions", "Log positions the read models trail the head by, by projector", "projector")

/**
 * The sum of every series whose line starts with `name` in Prometheus text
 * as `/metrics` serves it (a metric with its labels, or a name prefix): what
 * a bench or a test reads off another process.
 */
export const seriesTotal = (text: string, name: string): number =>
  text
    .split("\n")
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0)
