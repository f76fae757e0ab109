import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client"

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
