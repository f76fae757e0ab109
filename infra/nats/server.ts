import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { renderAuthorization, type NodeAccount } from "./accounts"

/**
 * A real nats-server with JetStream, started (for a test file, a benchmark or
 * the dev stack) on a free
 * loopback port with its own temporary store, and removed afterwards. When
 * NATS_URL is set, that server is used instead (nothing is started or
 * removed; tests still isolate themselves with unique stream names).
 */
export interface NatsServer extends AsyncDisposable {
  readonly url: string
  readonly port: number
  /** The store dir, or undefined for an external NATS_URL server. */
  readonly storeDir: string | undefined
  /** Replace the node users (a config file with `auth` only) and reload the server's configuration. */
  setNodeAccounts(nodes: ReadonlyArray<NodeAccount>): Promise<void>
  /** Stop the server process (SIGKILL by default: a crash), keeping its store. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Start the server again on the same port with the same store (after `kill`). */
  restart(): Promise<void>
  stop(): Promise<void>
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address()
      const port = typeof address === "object" && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })

/** The nats-server the install step provides (>= 2.10, scripts/install.sh), else one on PATH. */
const PROJECT_NATS_SERVER = fileURLToPath(new URL("../../.tools/nats-server/usr/sbin/nats-server", import.meta.url))

export const natsServerBinary = (): string => {
  const bin = process.env.NATS_SERVER_BIN ?? (existsSync(PROJECT_NATS_SERVER) ? PROJECT_NATS_SERVER : "nats-server")
  const probe = spawnSync(bin, ["--version"], { encoding: "utf8" })
  if (probe.error || probe.status !== 0) {
    // Never skip silently: a missing server is a broken test environment.
    throw new Error(
      `nats-server not found (${bin}). Run scripts/install.sh (it provides nats-server 2.10 in .tools/), set NATS_SERVER_BIN, or set NATS_URL to a JetStream server.`
    )
  }
  return bin
}

export interface StartOptions {
  /** A nats.conf to load (its port/store_dir are overridden by the harness). */
  readonly configFile?: string
  readonly env?: Record<string, string>
  /** Ignore NATS_URL and always start a private server (needed for auth/config tests). */
  readonly private?: boolean
  /** Fixed port (dev stack); default: a free one. */
  readonly port?: number
  /** Persistent store dir, kept on stop (dev stack); default: a temp dir, removed on stop. */
  readonly storeDir?: string
  /**
   * With `configFile`: the node users to render into the `auth.conf` it
   * includes (infra/nats/accounts.ts). The config is copied into `runDir`
   * (default: a temp dir) beside the rendered auth.conf.
   */
  readonly auth?: { readonly nodes: ReadonlyArray<NodeAccount>; readonly runDir?: string }
  /** More command-line flags (a cluster member's name, cluster listen address and routes). */
  readonly args?: ReadonlyArray<string>
  /**
   * With `configFile` and `auth`: config text that overrides the file's
   * (a cluster member's `server_name` and `cluster {}` block). It is written
   * to `member.conf` beside the copy (`include "nats.conf"` then these lines),
   * so a reload (SIGHUP) reads the same name and routes: nats-server refuses a
   * reload whose server name differs from the running one.
   */
  readonly overrides?: string
}

export const startNatsServer = async (options: StartOptions = {}): Promise<NatsServer> => {
  if (process.env.NATS_URL && !options.private) {
    const url = process.env.NATS_URL
    return {
      url,
      port: Number(new URL(url.replace(/^nats:/, "http:")).port || 4222),
      storeDir: undefined,
      setNodeAccounts: async () => {
        throw new Error("an external NATS_URL server's users are not ours to change")
      },
      kill: async () => {
        throw new Error("an external NATS_URL server is not ours to stop")
      },
      restart: async () => {
        throw new Error("an external NATS_URL server is not ours to start")
      },
      stop: async () => undefined,
      [Symbol.asyncDispose]: async () => undefined
    }
  }
  const bin = natsServerBinary()
  const keepStore = options.storeDir !== undefined
  // Absolute: nats-server parses $NATS_STORE_DIR as a config token, and a
  // relative ".data/…" would not read as a string.
  const storeDir = options.storeDir ? resolve(options.storeDir) : mkdtempSync(join(tmpdir(), "neuralink-nats-"))
  // A config with generated users runs from its own directory: nats.conf's
  // `include "auth.conf"` resolves beside the copy.
  const runDir = options.auth ? (options.auth.runDir ? resolve(options.auth.runDir) : mkdtempSync(join(tmpdir(), "neuralink-natsconf-"))) : undefined
  const configFile = options.configFile && runDir ? join(runDir, options.overrides ? "member.conf" : "nats.conf") : options.configFile
  const writeAuth = (nodes: ReadonlyArray<NodeAccount>) => {
    if (runDir) writeFileSync(join(runDir, "auth.conf"), renderAuthorization(nodes), { mode: 0o600 })
  }
  if (runDir && options.configFile) {
    mkdirSync(runDir, { recursive: true })
    copyFileSync(options.configFile, join(runDir, "nats.conf"))
    if (options.overrides) writeFileSync(join(runDir, "member.conf"), `include "nats.conf"\n${options.overrides}\n`)
    writeAuth(options.auth!.nodes)
  }
  const removeStore = () => {
    if (!keepStore) rmSync(storeDir, { recursive: true, force: true })
    if (runDir && !options.auth?.runDir) rmSync(runDir, { recursive: true, force: true })
  }
  const spawnOn = (port: number) => {
    // A config file names its store dir through $NATS_STORE_DIR (nats-server
    // refuses -sd on top of a configured store_dir); plain servers get -sd.
    const args = [
      ...(configFile ? ["-c", configFile, "-a", "127.0.0.1", "-p", String(port)] : ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir]),
      ...(options.args ?? [])
    ]
    const env = { ...process.env, ...options.env, NATS_STORE_DIR: storeDir }
    return spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] })
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort())
    let child = spawnOn(port)
    const ready = await waitForReady(child)
    if (ready === true) {
      // NATS_SERVER_LOG=1 forwards the server's log (permission violations show up there).
      const forwardLog = (c: ChildProcess) => {
        if (process.env.NATS_SERVER_LOG === "1") c.stderr?.on("data", (chunk: Buffer) => process.stderr.write(`[nats-server] ${chunk}`))
      }
      forwardLog(child)
      const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((r) => child.once("exit", r))
        child.kill(signal)
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGKILL")
          await exited
        }
      }
      const restart = async () => {
        await kill("SIGTERM")
        for (let tries = 0; ; tries++) {
          child = spawnOn(port)
          const up = await waitForReady(child)
          if (up === true) break
          child.kill("SIGKILL")
          // The port can linger a moment after a kill.
          if (tries >= 20 || !/address already in use/i.test(up)) throw new Error(`nats-server failed to restart: ${up}`)
          await new Promise((r) => setTimeout(r, 250))
        }
        forwardLog(child)
      }
      const stop = async () => {
        await kill("SIGTERM")
        removeStore()
      }
      // One reload at a time: each waits for the server's own confirmation.
      let reloading: Promise<void> = Promise.resolve()
      const setNodeAccounts = (nodes: ReadonlyArray<NodeAccount>) => {
        if (!runDir) return Promise.reject(new Error("setNodeAccounts needs a server started with `auth`"))
        const next = reloading.then(() => {
          writeAuth(nodes)
          // nats-server reloads its configuration (users included) on SIGHUP;
          // connected clients keep their connections.
          return reloadConfig(child)
        })
        reloading = next.catch(() => undefined)
        return next
      }
      return { url: `nats://127.0.0.1:${port}`, port, storeDir, setNodeAccounts, kill, restart, stop, [Symbol.asyncDispose]: stop }
    }
    child.kill("SIGKILL")
    // A port taken between freePort() and bind is worth another try; anything else is fatal.
    if (options.port !== undefined || !/address already in use/i.test(ready)) {
      removeStore()
      throw new Error(`nats-server failed to start: ${ready}`)
    }
  }
  removeStore()
  throw new Error("nats-server: no free port after 5 attempts")
}

/** Send SIGHUP and wait until the server logs that it reloaded (or why it did not). */
const reloadConfig = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    let log = ""
    const timer = setTimeout(() => done(new Error(`no reload confirmation\n${log}`)), 10_000)
    const done = (error?: Error) => {
      clearTimeout(timer)
      child.stderr?.off("data", onData)
      if (error) reject(error)
      else resolve()
    }
    const onData = (chunk: Buffer) => {
      log += chunk.toString()
      if (/Reloaded server configuration/i.test(log)) done()
      else if (/Failed to reload|error/i.test(log)) done(new Error(`reload failed: ${log}`))
    }
    child.stderr?.on("data", onData)
    child.kill("SIGHUP")
  })

/** Resolves true once the server says it is ready, or the log that explains why not. */
const waitForReady = (child: ChildProcess): Promise<true | string> =>
  new Promise((resolve) => {
    let log = ""
    const timer = setTimeout(() => done(`timeout waiting for readiness\n${log}`), 10_000)
    const done = (value: true | string) => {
      clearTimeout(timer)
      child.stderr?.off("data", onData)
      child.stdout?.off("data", onData)
      resolve(value)
    }
    const onData = (chunk: Buffer) => {
      log += chunk.toString()
      if (log.includes("Server is ready")) done(true)
    }
    child.stderr?.on("data", onData)
    child.stdout?.on("data", onData)
    child.once("exit", (code) => done(`exited with ${code}\n${log}`))
  })
