import { jetstreamManager } from "@nats-io/jetstream"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { driveLoad, registrations } from "../../commands/load"
import { passwordEnvironment } from "../../infra/nats/accounts"
import { startNatsCluster, type NatsCluster } from "../../infra/nats/cluster"
import { natsOptions } from "../../infra/nats/NatsClient"
import { provisionAll } from "../../infra/nats/provision"
import { defaultJetStreamConfig } from "../../infra/eventStore/jetStream"
import { freePort } from "../support/natsServer"
import { processGroup } from "../../infra/processGroup"

/**
 * A three-node JetStream cluster on loopback (nats.conf with its users, fsync
 * always, each member its own process) with the log, the work queue and the
 * buckets at R3. The API runs as its own process with all three seeds. Under
 * a steady load of signed commands, the member leading the log's stream is
 * killed with -9: every command the API acknowledged is in the log exactly
 * once, the hash chain and the audit verify, and the stall is printed (its
 * goal, < 5 s, is measured by `npm run bench`, not asserted here).
 */
const passwords = { admin: "adminClusterPw", api: "apiClusterPw", coordinator: "coordinatorClusterPw", bridge: "bridgeClusterPw" }
let cluster: NatsCluster
let admin: NatsConnection
/**
 * A provisioned cluster, or the error its R3 placement kept answering. The
 * first R3 placement may be refused while a lagging peer catches up ("no
 * suitable peers"): retried for 90 s.
 */
const startProvisioned = async (): Promise<unknown> => {
  cluster = await startNatsCluster({
    size: 3,
    configFile: "nats.conf",
    auth: { nodes: [] },
    env: passwordEnvironment(passwords)
  })
  admin = await connect(natsOptions({ servers: cluster.url, user: "admin", pass: passwords.admin }))
  for (let attempt = 1; ; attempt++) {
    const failed = await provisionAll(admin, defaultJetStreamConfig, { replicas: 3 }).then(
      () => undefined,
      (e: unknown) => e
    )
    if (!failed) return undefined
    if (attempt >= 45) return failed
    await new Promise((r) => setTimeout(r, 2_000))
  }
}
beforeAll(async () => {
  const failed = await startProvisioned()
  if (failed) {
    // Twice in ~30 clean-clone runs (2026-11-26 and -27, Node 20 and 24) one member never
    // became a current peer of a fresh cluster, and placement kept failing for minutes. That
    // is nats-server forming a cluster on a loaded machine, not what this spec checks: start
    // a fresh cluster once more, and fail only if that one cannot place the log either.
    console.warn(`cluster.int: R3 placement still refused after 90 s (${String(failed)}); starting a fresh cluster`)
    await admin.close()
    await cluster.stop()
    const again = await startProvisioned()
    if (again) throw again
  }
  // Three servers forming a cluster on a busy 2-core machine: the health wait alone may take minutes.
}, 600_000)
afterAll(async () => {
  await admin?.close()
  await cluster?.stop()
})

const pageAll = async (apiUrl: string) => {
  const events: Array<{ globalPosition: number; stream: string; metadata: { commandId: string } }> = []
  for (let from = 1; ; ) {
    let page: { events: typeof events; next: number } | undefined
    // A read may be refused (503) while the stream elects its leader: ask again.
    for (let attempt = 0; !page?.events; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 500))
      if (attempt > 60) throw new Error(`GET /events kept failing: ${JSON.stringify(page)}`)
      page = (await fetch(`${apiUrl}/events?from=${from}&limit=1000`, { signal: AbortSignal.timeout(30_000) })
        .then((r) => r.json())
        .catch((e: unknown) => ({ error: String(e) }))) as typeof page
    }
    events.push(...page.events)
    if (page.events.length < 1000) return events
    from = page.next
  }
}

/** A whole-log GET, asked again while the cluster answers 503 (a read during an election); any other answer is returned. */
const answered = async (url: string) => {
  let last = ""
  for (let attempt = 0; attempt < 60; attempt++) {
    const r = await fetch(url, { signal: AbortSignal.timeout(60_000) })
    if (r.status !== 503) return r.json()
    last = await r.text()
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`${url} kept answering 503: ${last}`)
}

describe("a 3-node JetStream cluster (R3)", () => {
  it("loses no acknowledged command when the log's stream leader is killed under load; chain and audit verify", async () => {
    const jsm = await jetstreamManager(admin)
    const info = await jsm.streams.info("EVENTS")
    expect(info.config.num_replicas).toBe(3)
    for (const stream of ["CMDS", "OBJ_weights", "OBJ_snapshots"]) expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3)

    const group = processGroup(cluster.url)
    try {
      const apiUrl = await group.api(await freePort(), { NATS_USER: "api", NATS_PASSWORD: passwords.api, EVENTS_PROVISION: "false", API_LOG: process.env.CLUSTER_API_LOG ?? "false" })
      const commands = registrations(450, "cl")
      let killed: string | undefined
      let killedAt = 0
      const load = await driveLoad({
        urls: [apiUrl],
        commands,
        ratePerSecond: 100,
        concurrency: 200,
        // Generous: CI runs other test files beside this one on 2 cores, and this
        // test is about loss, not latency (the bench measures the stall).
        giveUpAfterMs: 150_000,
        onAck: (count, atMs) => {
          // A third of the way in: kill -9 whichever member leads the log now.
          if (count !== 150) return
          killedAt = atMs
          void jsm.streams.info("EVENTS").then(async (i) => {
            killed = i.cluster!.leader!
            await cluster.member(killed).kill("SIGKILL")
          })
        }
      })
      expect(killed, "the leader was killed").toBeDefined()
      console.log(
        JSON.stringify({
          cluster: { killedLeader: killed, killedAtS: +(killedAt / 1000).toFixed(1), stallMs: Math.round(load.stallMs), ackRate: +load.rate.toFixed(1), attempts: load.attempts, ...load.latencyMs }
        })
      )
      expect(load.refused).toEqual([])
      if (load.unanswered.length > 0 && process.env.CLUSTER_API_LOG) {
        const out = group.started[0]!.output.join("").split("\n")
        console.log(out.filter((l) => load.unanswered.some((id) => l.includes(id)) || /"level":50/.test(l)).slice(0, 30).join("\n"))
      }
      expect(load.unanswered).toEqual([])
      expect(load.acknowledged.size).toBe(commands.length)

      // On the surviving majority: nothing acknowledged is missing, nothing is stored twice.
      const stored = await pageAll(apiUrl)
      const commits = new Map<string, Set<number>>()
      for (const e of stored) commits.set(`${e.metadata.commandId}|${e.stream}`, (commits.get(`${e.metadata.commandId}|${e.stream}`) ?? new Set()).add(e.globalPosition))
      // Store command ids are `<signer>:<commandId>` (with `#<step>` for a command's later commits).
      const storedIds = new Set(stored.map((e) => e.metadata.commandId.split(":")[1]!.split("#")[0]!))
      expect([...load.acknowledged.keys()].filter((id) => !storedIds.has(id))).toEqual([])
      expect([...commits].filter(([, positions]) => positions.size > 1)).toEqual([])
      const chain = (await answered(`${apiUrl}/events/verify`)) as { ok: boolean }
      expect(chain.ok).toBe(true)
      const audit = (await answered(`${apiUrl}/audit`)) as { ok: boolean; problems: Array<unknown> }
      expect(audit.ok, JSON.stringify(audit.problems?.slice(0, 3))).toBe(true)
      // The API process rode the failover out.
      expect(group.started[0]!.child.exitCode).toBe(null)

      // The killed member comes back and catches up with the log (its replica reports current).
      await cluster.member(killed!).restart()
      await group.waitFor(
        "the restarted member to catch up",
        async () => {
          const replicas = (await jsm.streams.info("EVENTS")).cluster?.replicas ?? []
          return replicas.some((r) => r.name === killed && r.current)
        },
        // Catching up is what is asserted, not its speed: on a loaded 2-core CI machine (the outage
        // test's seven processes beside it) one run took longer than a minute.
        120_000
      )
    } finally {
      group.killAll()
    }
  }, 400_000)
})
