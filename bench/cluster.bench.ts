import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { driveLoad, registrations } from "../commands/load"
import { defaultJetStreamConfig } from "../infra/eventStore/jetStream"
import { passwordEnvironment } from "../infra/nats/accounts"
import { startNatsCluster } from "../infra/nats/cluster"
import { natsOptions } from "../infra/nats/NatsClient"
import { provisionAll } from "../infra/nats/provision"
import { freePort } from "../infra/nats/server"
import { processGroup } from "../infra/processGroup"
import { seriesTotal } from "../infra/metrics"
import { compare, round, type BenchResult } from "./stats"

/**
 * The 3-node cluster (nats.conf members: fsync always, R3 log), API processes
 * as their own OS processes with all seeds:
 * - failover stall: the longest gap between acknowledged commands under a
 *   steady offered load when the log's stream leader is killed with -9, and
 *   when it steps down on request (planned maintenance). A kill -9 cannot
 *   beat nats-server's Raft election timeout (4–9 s, fixed in server/raft.go).
 * - one global hash chain, several API processes: throughput, reseal rate (an
 *   append retried because another process moved the chain's head) and
 *   forwarded appends with 1, 2 and 4 API processes sharing one writer (the
 *   writer lease), the 1-process figure as the baseline; beside each, the
 *   same without the lease (each process appending itself).
 */
const passwords = { admin: "adminBenchPw", api: "apiBenchPw", coordinator: "coordinatorBenchPw", bridge: "bridgeBenchPw" }

export const clusterBench = async (sizes = { stallCommands: 1_000, rate: 100, perApiRun: 1_200, concurrency: 16 }): Promise<ReadonlyArray<BenchResult>> => {
  const cluster = await startNatsCluster({
    size: 3,
    configFile: "nats.conf",
    auth: { nodes: [] },
    env: passwordEnvironment(passwords)
  })
  const admin = await connect(natsOptions({ servers: cluster.url, user: "admin", pass: passwords.admin }))
  const results: Array<BenchResult> = []
  const group = processGroup(cluster.url)
  try {
    await provisionAll(admin, defaultJetStreamConfig, { replicas: 3 })
    const jsm = await jetstreamManager(admin)
    const apiEnv = { NATS_USER: "api", NATS_PASSWORD: passwords.api, EVENTS_PROVISION: "false" }
    const apis = [await group.api(await freePort(), apiEnv)]

    // Failover stalls, each under its own steady load.
    const stall = async (prefix: string, disrupt: () => Promise<void>) => {
      let disrupted: Promise<void> | undefined
      const load = await driveLoad({
        urls: apis,
        commands: registrations(sizes.stallCommands, prefix),
        ratePerSecond: sizes.rate,
        concurrency: 200,
        giveUpAfterMs: 60_000,
        onAck: (count) => {
          if (count === Math.floor(sizes.stallCommands / 3)) disrupted = disrupt()
        }
      })
      await disrupted
      return load
    }
    let killed = ""
    const kill = await stall("bk", async () => {
      killed = (await jsm.streams.info("EVENTS")).cluster!.leader!
      await cluster.member(killed).kill("SIGKILL")
    })
    await cluster.member(killed).restart()
    await cluster.healthy()
    const stepdown = await stall("bs", async () => {
      await admin.request("$JS.API.STREAM.LEADER.STEPDOWN.EVENTS", undefined, { timeout: 10_000 })
    })
    results.push(
      compare("cluster.leaderKillStall", "ms", kill.stallMs, { name: "planned leader stepdown, same load", value: stepdown.stallMs }, {
        offeredPerSecond: sizes.rate,
        achievedPerSecond: round(kill.rate),
        killed,
        unanswered: kill.unanswered.length,
        goalMs: 5_000,
        note: "kill -9 of the EVENTS stream leader; floor: nats-server's Raft election timeout, 4–9 s"
      })
    )

    // 1, 2 and 4 API processes appending to one log: sharing one writer (the writer lease, as
    // they run by default), then each appending itself (EVENTS_WRITER_LEASE=false), for the record.
    type PerApis = { apis: number; rate: number; resealsPerAppend: number; forwardedPerCommand: number; p99: number }
    const measure = async (urls: Array<string>, count: number, commands: number, prefix: string): Promise<PerApis> => {
      const metrics = async () => {
        const texts = await Promise.all(urls.map(async (u) => (await fetch(`${u}/metrics`)).text()))
        const sum = (name: string) => texts.reduce((s, t) => s + seriesTotal(t, name), 0)
        return { appends: sum("neuralink_appends_total{"), reseals: sum("neuralink_append_reseals_total"), forwarded: sum('neuralink_append_forwards_total{outcome="forwarded"}') }
      }
      const before = await metrics()
      const load = await driveLoad({ urls, commands: registrations(commands, prefix), ratePerSecond: Infinity, concurrency: sizes.concurrency, giveUpAfterMs: 60_000 })
      const after = await metrics()
      return {
        apis: count,
        rate: load.rate,
        resealsPerAppend: (after.reseals - before.reseals) / Math.max(1, after.appends - before.appends),
        forwardedPerCommand: (after.forwarded - before.forwarded) / commands,
        p99: load.latencyMs.p99
      }
    }
    const perApis: Array<PerApis> = []
    for (const count of [1, 2, 4]) {
      while (apis.length < count) apis.push(await group.api(await freePort(), apiEnv))
      perApis.push(await measure(apis, count, sizes.perApiRun, `bm${count}-`))
    }
    group.killAll()
    // Each appending itself is slow (~10 commands/s): a quarter of the commands.
    const alone = processGroup(cluster.url)
    const withoutLease: Array<PerApis> = []
    try {
      const aloneUrls: Array<string> = []
      for (const count of [2, 4]) {
        while (aloneUrls.length < count) aloneUrls.push(await alone.api(await freePort(), { ...apiEnv, EVENTS_WRITER_LEASE: "false" }))
        withoutLease.push(await measure(aloneUrls, count, Math.ceil(sizes.perApiRun / 4), `bn${count}-`))
      }
    } finally {
      alone.killAll()
    }
    const one = perApis[0]!
    for (const r of perApis) {
      const without = withoutLease.find((w) => w.apis === r.apis)
      results.push(
        compare(`cluster.apiProcesses.${r.apis}`, "commands/s", r.rate, { name: "1 API process, same cluster", value: one.rate }, {
          resealsPerAppend: round(r.resealsPerAppend, 3),
          forwardedAppendsPerCommand: round(r.forwardedPerCommand, 3),
          p99Ms: round(r.p99),
          concurrency: sizes.concurrency,
          ...(without ? { withoutLease: { rate: round(without.rate), resealsPerAppend: round(without.resealsPerAppend, 3), p99Ms: round(without.p99) } } : {}),
          note: "signed RegisterNode (2 commits each) spread round-robin over the API processes; one global hash chain, one writer (the writer lease); withoutLease: each process appending itself (EVENTS_WRITER_LEASE=false)"
        })
      )
    }
    return results
  } finally {
    group.killAll()
    await admin.close()
    await cluster.stop()
  }
}
