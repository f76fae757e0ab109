import { freePort, startNatsServer, type NatsServer, type StartOptions } from "./server"
import type { NodeAccount } from "./accounts"

/**
 * A JetStream cluster of `size` nats-server processes on loopback (tests, the
 * bench, and `scripts/dev.sh --cluster`). Each member loads the same config
 * as a single server (nats.conf: fsync always, the generated users) plus its
 * own name, cluster port and the routes to all members, as command-line
 * flags. Clients get every member as a seed (`url` is comma-separated) and
 * fail over between them; streams and buckets are created with replicas = size.
 */
export interface NatsCluster extends AsyncDisposable {
  /** Every member's client URL, comma-separated (NATS_URL for processes). */
  readonly url: string
  readonly members: ReadonlyArray<NatsServer & { readonly name: string }>
  readonly member: (name: string) => NatsServer & { readonly name: string }
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
        args: ["--server_name", name, "--cluster_name", CLUSTER_NAME, "--cluster", `nats://127.0.0.1:${clusterPorts[i]}`, "--routes", routes]
      })
      return Object.assign(server, { name })
    })
  )
  const stop = async () => {
    await Promise.all(members.map((m) => m.stop()))
  }
  return {
    url: members.map((m) => m.url).join(","),
    members,
    member: (name) => {
      const found = members.find((m) => m.name === name)
      if (!found) throw new Error(`no cluster member ${name} (members: ${names.join(", ")})`)
      return found
    },
    setNodeAccounts: async (nodes) => {
      await Promise.all(members.map((m) => m.setNodeAccounts(nodes)))
    },
    stop,
    [Symbol.asyncDispose]: stop
  }
}
