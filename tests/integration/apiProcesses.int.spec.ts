import { connect } from "@nats-io/transport-node"
import { describe, expect, it } from "vitest"
import { driveLoad, registrations } from "../../commands/load"
import { defaultJetStreamConfig } from "../../infra/eventStore/jetStream"
import { seriesTotal } from "../../infra/metrics"
import { provisionAll } from "../../infra/nats/provision"
import { processGroup } from "../../infra/processGroup"
import { freePort, natsServerPerFile } from "../support/natsServer"

/**
 * Two API processes on one log, as an operator scaling the API out runs
 * them: their own OS processes from `commands/main.ts`, signed commands
 * spread over both. They share one writer (the writer lease,
 * infra/eventStore/writerLease.ts): nothing is resealed, and the log is one
 * verified chain. When the holder is killed the other goes on alone.
 */
const nats = natsServerPerFile({ private: true })

const metricsOf = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text()
  return {
    reseals: seriesTotal(text, "neuralink_append_reseals_total"),
    forwarded: seriesTotal(text, 'neuralink_append_forwards_total{outcome="forwarded"}'),
    served: seriesTotal(text, 'neuralink_append_forwards_total{outcome="served"}'),
    holdsLease: seriesTotal(text, "neuralink_writer_lease_held")
  }
}

describe("API processes sharing one log", () => {
  it("append through one writer: commands through both land on one verified chain without a reseal; with the holder killed the other goes on", async () => {
    const nc = await connect({ servers: nats.server.url })
    // A lease longer than any stall of a busy machine: who holds it must not change while the first part runs.
    await provisionAll(nc, { ...defaultJetStreamConfig, writerLeaseMs: 60_000 })
    await nc.close()
    const group = processGroup(nats.server.url)
    try {
      const first = await group.api(await freePort())
      const second = await group.api(await freePort())
      const load = await driveLoad({ urls: [first, second], commands: registrations(40, "two"), ratePerSecond: Infinity, concurrency: 8, giveUpAfterMs: 60_000 })
      expect(load.acknowledged.size).toBe(40)
      const [a, b] = await Promise.all([metricsOf(first), metricsOf(second)])
      // Each RegisterNode is two appends; the half sent to the second process went through the first, which holds the lease.
      expect(a.reseals + b.reseals).toBe(0)
      expect(b.forwarded).toBe(40)
      expect(a.served).toBe(40)
      expect(a.forwarded).toBe(0)
      expect([a.holdsLease, b.holdsLease]).toEqual([1, 0])

      // The holder dies: nobody answers the other's forwarded appends any more, and it appends itself.
      group.started.find((s) => s.name === "api")!.child.kill("SIGKILL")
      const alone = await driveLoad({ urls: [second], commands: registrations(20, "alone"), ratePerSecond: Infinity, concurrency: 4, giveUpAfterMs: 60_000 })
      expect(alone.acknowledged.size).toBe(20)
      const verified = (await (await fetch(`${second}/events/verify`)).json()) as { ok: boolean; verified: number }
      expect(verified.ok).toBe(true)
      // Two commits per registration (the key's binding, the node), at least one event each.
      expect(verified.verified).toBeGreaterThanOrEqual((40 + 20) * 2)
    } finally {
      group.killAll()
    }
  }, 120_000)
})
