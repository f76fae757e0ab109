import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

/**
 * A framework-specific worker process driven over stdio with line-delimited
 * JSON (docs/executor-protocol.md): one request per line in, one answer per
 * line out, in order. The node keeps every protocol decision (data order,
 * rows per step, checkpoints); the worker trains steps. The reference worker
 * is PyTorch (infra/ml/pytorch/worker.py, Debian's python3-torch).
 */
export class ExecutorFailed extends Error {}

/** One user at a time: an executor holds one model and optimizer (give a second concurrent user its own). */
export interface ExternalExecutor {
  readonly framework: string
  /** Names the build that produced a state: a proof records it and only an executor of the same build replays it. */
  readonly backend: string
  readonly request: (op: string, fields?: Record<string, unknown>) => Promise<Record<string, unknown>>
  readonly close: () => Promise<void>
}

const here = dirname(fileURLToPath(import.meta.url))
/** Debian's interpreter: python3-torch is installed for it (a pyenv or venv python3 on PATH would not see it). */
const PYTHON = process.env.NEURA_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3")

export const startExecutor = async (command: ReadonlyArray<string>): Promise<ExternalExecutor> => {
  const child: ChildProcessWithoutNullStreams = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (d) => (stderr = (stderr + String(d)).slice(-4000)))
  const waiting = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>()
  let exited: Error | undefined
  const failAll = (e: Error) => {
    exited = e
    for (const w of waiting.values()) w.reject(e)
    waiting.clear()
  }
  child.on("error", (e) => failAll(new ExecutorFailed(`executor ${command.join(" ")} could not start: ${e.message}`)))
  child.on("exit", (code) => failAll(new ExecutorFailed(`executor exited (${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`)))
  createInterface({ input: child.stdout }).on("line", (line) => {
    let answer: { id?: number; ok?: boolean; error?: string }
    try {
      answer = JSON.parse(line)
    } catch {
      return failAll(new ExecutorFailed(`executor wrote a line that is not JSON: ${line.slice(0, 200)}`))
    }
    const w = waiting.get(answer.id ?? -1)
    if (!w) return
    waiting.delete(answer.id!)
    if (answer.ok) w.resolve(answer as Record<string, unknown>)
    else w.reject(new ExecutorFailed(answer.error ?? "executor failed"))
  })
  let next = 1
  const request = (op: string, fields: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (exited) return reject(exited)
      const id = next++
      waiting.set(id, { resolve, reject })
      child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`)
    })
  const hello = await request("hello")
  return {
    framework: String(hello.framework),
    backend: String(hello.backend),
    request,
    close: async () => {
      if (exited) return
      await request("bye").catch(() => undefined)
      child.stdin.end()
    }
  }
}

/** The reference PyTorch worker (Debian python3-torch 1.13; scripts/install.sh installs it when NEURA_EXECUTORS names pytorch). */
export const startPytorchExecutor = () => startExecutor([PYTHON, "-u", join(here, "pytorch", "worker.py")])
