import { spawn, type ChildProcess } from "node:child_process"
import { devKey } from "./identity/devKeys"
import { LOG_WRITER_NODE_FLAGS } from "./nodeFlags"

/**
 * The deployable shape, for tests and benchmarks: each role its own OS
 * process started from its `main.ts` (node itself, not an npx wrapper, so
 * signals reach the process's own handlers), output captured for assertions
 * and failure messages. Entry points are named by path only: nothing here
 * imports the layers above.
 */
export interface Launched {
  readonly name: string
  readonly child: ChildProcess
  readonly output: Array<string>
}

export const processGroup = (natsUrl: string) => {
  const started: Array<Launched> = []
  const launch = (name: string, script: string, env: Record<string, string>, nodeFlags: ReadonlyArray<string> = []): Launched => {
    const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", script], { env: { ...process.env, NATS_URL: natsUrl, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    const output: Array<string> = []
    child.stdout!.on("data", (c) => output.push(String(c)))
    child.stderr!.on("data", (c) => output.push(String(c)))
    const launched = { name, child, output }
    started.push(launched)
    return launched
  }
  const dump = (tail = 800) => started.map((s) => `${s.name}: ${s.output.join("").slice(-tail)}`).join("\n")
  return {
    started,
    launch,
    dump,
    /** Poll `check` every 250 ms until it holds; fail with every process's output. */
    waitFor: async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
      const until = Date.now() + timeoutMs
      while (!(await check().catch(() => false))) {
        if (Date.now() > until) throw new Error(`${what} did not happen in ${timeoutMs} ms:\n${dump()}`)
        await new Promise((r) => setTimeout(r, 250))
      }
    },
    /** The API process, waiting until it answers /health. */
    api: async (port: number, env: Record<string, string> = {}) => {
      const api = launch("api", "commands/main.ts", { API_PORT: String(port), API_LOG: "false", COORDINATOR_ADDRESSES: devKey("p-coordinator").address, ...env }, LOG_WRITER_NODE_FLAGS)
      const url = `http://127.0.0.1:${port}`
      const until = Date.now() + 30_000
      while (!(await fetch(`${url}/health`).then((r) => r.ok).catch(() => false))) {
        if (Date.now() > until) throw new Error(`API did not start: ${api.output.join("")}`)
        await new Promise((r) => setTimeout(r, 200))
      }
      return url
    },
    /** The coordinator and the given nodes, against the API at `apiUrl`. */
    network: (apiUrl: string, nodes: ReadonlyArray<{ readonly nodeId: string; readonly role: "trainer" | "validator"; readonly watch?: boolean; readonly executor?: "pytorch" }>) => {
      launch("coordinator", "nodes/dispatcher/main.ts", { API_URL: apiUrl, NODE_ID: "coordinator", NODE_DEV_KEY: "p-coordinator" })
      for (const n of nodes) launch(n.nodeId, `nodes/${n.role}/main.ts`, { API_URL: apiUrl, NODE_ID: n.nodeId, NODE_DEV_KEY: n.nodeId, ...(n.watch ? { NODE_WATCH: "true" } : {}), ...(n.executor ? { NEURA_EXECUTOR: n.executor } : {}) })
    },
    exitCode: (child: ChildProcess) =>
      new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code)))),
    killAll: () => {
      for (const s of started) if (s.child.exitCode === null) s.child.kill("SIGKILL")
    }
  }
}

/** Lines matching `pattern` in a process's output, counted by the pattern's first group. */
export const countBy = (output: ReadonlyArray<string>, pattern: RegExp): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const line of output.join("").split("\n")) {
    const m = pattern.exec(line)
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1)
  }
  return counts
}
