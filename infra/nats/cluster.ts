import { freePort, startNatsServer, type NatsServer, type StartOptions } from "./server"
import type { NodeAccount } from "./accounts"

/**
 * A JetStream cluster of `size` nats-server processes on loopback (tests, the
 * bench, and `scripts/dev.sh --cluster`). Each member loads the same config
 * as a single server (nats.conf: fsync always, the generated users) through
 * its own `member.conf`, which adds its name, cluster port and the routes to
 * all members. Clients get every member as a seed (`url` is comma-separated) and
 * fail over between them; streams and buckets are created with replicas = size.
 */
export interface NatsCluster extends AsyncDisposable {
  /** Every member's client URL, comma-separated (NATS_URL for processes). */
  readonly url: string
  readonly members: ReadonlyArray<NatsServer & { readonly name: string }>
  readonly member: (name: string) => NatsServer & { readonly name: string }
  /** Resolves once every running member's /healthz says JetStream is current (meta leader known, assets caught up). */
  healthy(timeoutMs?: number): Promise<void>
  setNodeAccounts(nodes: ReadonlyArray<NodeAccount>): Promise<void>
  stop(): Promise<void>
}

export const CLUSTER_NAME = "neuralink"

export const startNatsCluster = async (
  options: Omit<StartOptions, "port" | "args" | "storeDir"> & {
    readonly size?: number
    /** Fixed client ports (dev stack); default: free ones. */
    readonly ports?: ReadonlyArray<number>
    /** Store dir per member: `<storeRoot>/<name>` (kept); default: temp dirs. */
    readonly storeRoot?: string
  } = {}
): Promise<NatsCluster> => {
  const size = options.size ?? 3
  const names = Array.from({ length: size }, (_, i) => `n${i + 1}`)
  const clusterPorts = await Promise.all(names.map(() => freePort()))
  const monitorPorts = await Promise.all(names.map(() => freePort()))
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",")
  // Members start together: JetStream needs a quorum before any of them is usable.
  const members = await Promise.all(
    names.map(async (name, i) => {
      const server = await startNatsServer({
        ...options,
        private: true,
        ...(options.ports ? { port: options.ports[i]! } : {}),
        ...(options.storeRoot ? { storeDir: `${options.storeRoot}/${name}` } : {}),
        ...(options.auth ? { auth: { nodes: options.auth.nodes, ...(options.auth.runDir ? { runDir: `${options.auth.runDir}/${name}` } : {}) } } : {}),
        // With a config file the member's name and routes go into its own config
        // (a reload must see the same name); a bare server gets them as flags.
        ...(options.configFile && options.auth
          ? {
              overrides: [
                `server_name: ${name}`,
                `cluster { name: ${CLUSTER_NAME}, listen: "127.0.0.1:${clusterPorts[i]}", routes: [${clusterPorts.map((p) => `"nats://127.0.0.1:${p}"`).join(", ")}] }`
              ].join("\n"),
              args: ["-m", String(monitorPorts[i])]
            }
          : { args: ["--server_name", name, "--cluster_name", CLUSTER_NAME, "--cluster", `nats://127.0.0.1:${clusterPorts[i]}`, "--routes", routes, "-m", String(monitorPorts[i])] })
      })
      return Object.assign(server, { name })
    })
  )
  const stop = async () => {
    await Promise.all(members.map((m) => m.stop()))
  }
  // Healthy: every running member says so (/healthz), and the meta leader
  // sees every other running member as a current peer (/jsz): before that,
  // creating an R3 stream fails with "no suitable peers for placement".
  // The bound is generous: on a busy 2-core CI machine (the suite runs heavy
  // e2e files beside this one) a member once took over a minute to catch up.
  // A loaded CI run also once saw every member answer /healthz 200 for three
  // minutes while the leader still listed one peer as not current: after
  // SETTLED_MS of every member healthy, the cluster counts as up and callers
  // retry their first R3 placement (provisioning) until it succeeds.
  const SETTLED_MS = 30_000
  const healthy = async (timeoutMs = 180_000) => {
    const until = Date.now() + timeoutMs
    let allHealthySince: number | undefined
    const ask = (port: number, path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) }).then(
        async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as { meta_cluster?: { replicas?: Array<{ current: boolean }> } } }),
        () => ({ status: 0, body: {} as { meta_cluster?: { replicas?: Array<{ current: boolean }> } } })
      )
    for (;;) {
      const health = await Promise.all(monitorPorts.map((port) => ask(port, "/healthz")))
      const running = health.filter((h) => h.status !== 0).length
      const views = await Promise.all(monitorPorts.map((port) => ask(port, "/jsz")))
      // The meta leader's view is the one that counts; a follower may list the
      // peers it last heard of as not current. Take the best view.
      const peersCurrent = Math.max(0, ...views.map((v) => (v.body.meta_cluster?.replicas ?? []).filter((r) => r.current).length)) + 1
      const allHealthy = running > 0 && health.every((h) => h.status === 200 || h.status === 0)
      allHealthySince = allHealthy ? (allHealthySince ?? Date.now()) : undefined
      if (allHealthy && (peersCurrent >= running || Date.now() - allHealthySince! >= SETTLED_MS)) return
      if (Date.now() > until) throw new Error(`cluster not healthy after ${timeoutMs} ms: /healthz ${health.map((h) => h.status).join(", ")}, ${peersCurrent} current peers`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  // A cluster that never became healthy must not outlive the failed start.
  await healthy().catch(async (e: unknown) => {
    await stop().catch(() => undefined)
    throw e
  })
  return {
    url: members.map((m) => m.url).join(","),
    members,
    member: (name) => {
      const found = members.find((m) => m.name === name)
      if (!found) throw new Error(`no cluster member ${name} (members: ${names.join(", ")})`)
      return found
    },
    healthy,
    setNodeAccounts: async (nodes) => {
      await Promise.all(members.map((m) => m.setNodeAccounts(nodes)))
    },
    stop,
    [Symbol.asyncDispose]: stop
  }
}
