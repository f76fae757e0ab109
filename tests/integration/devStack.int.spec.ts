import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { mkdirSync } from "node:fs"
import { chromium } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { httpTransport, NeuraClient } from "../../commands/client"
import { devKey } from "../../infra/identity/devKeys"

/**
 * The dev stack as a user gets it (scripts/dev.ts: nats-server with auth, the
 * API, the chain and its bridge, the demo), in its own data directory and on
 * free ports, driven only through the `neura` CLI and HTTP: a task created
 * with `neura task create` after the demo is trained by the demo's nodes
 * (the stack keeps serving) and followed by `neura task watch` to its exit
 * code; `neura audit` and `neura verify-anchors` find the log, the chain and
 * the credentials through the deployment record by themselves.
 */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

let stack: ChildProcess | undefined
let dir: string
let api: string
let output = ""

/** Start the dev stack on free ports; up when it says so. */
const startStack = async () => {
  dir = mkdtempSync(join(tmpdir(), "devstack-"))
  output = ""
  const [nats, apiPort, chain] = [await freePort(), await freePort(), await freePort()]
  api = `http://127.0.0.1:${apiPort}`
  stack = spawn("npx", ["tsx", "scripts/dev.ts"], {
    cwd: process.cwd(),
    env: { ...process.env, NEURA_DATA_DIR: dir, NATS_PORT: String(nats), API_PORT: String(apiPort), CHAIN_PORT: String(chain) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  await new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("[dev] stack is up")) resolve()
    }
    stack!.stdout!.on("data", seen)
    stack!.stderr!.on("data", seen)
    stack!.on("exit", (code) => reject(new Error(`the dev stack exited (${code}) before it was up:\n${output.slice(-3000)}`)))
  })
}

beforeAll(async () => {
  // A port found free can be taken by a parallel suite before the stack binds it
  // (EADDRINUSE): that alone is retried, on fresh ports, in a fresh directory.
  for (let attempt = 1; ; attempt++) {
    try {
      await startStack()
      return
    } catch (e) {
      if (attempt >= 3 || !output.includes("EADDRINUSE")) throw e
      try {
        process.kill(-stack!.pid!, "SIGTERM")
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}, 400_000)

afterAll(async () => {
  if (stack?.pid) {
    const exited = new Promise((r) => stack!.once("exit", r))
    process.kill(-stack.pid, "SIGTERM")
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))])
    try {
      process.kill(-stack.pid, "SIGKILL")
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true })
})

const neura = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const child = spawn("npx", ["tsx", "cli/main.ts", ...args, "--api", api], { cwd: process.cwd(), env: { ...process.env, ...env } })
    let out = ""
    let err = ""
    child.stdout.on("data", (c: Buffer) => (out += c.toString()))
    child.stderr.on("data", (c: Buffer) => (err += c.toString()))
    child.on("exit", (code) => resolve({ code: code ?? -1, out, err }))
  })

/** A digits task on what the demo left: its model's latest version and its datasets (whose shards are in the bucket). */
const digitsTask = async (reader: NeuraClient, taskId: string, title: string) => {
  const { model } = await reader.get("/models/M-1")
  const datasets = (await reader.get("/events?aggregate=dataset&limit=1000")).events.filter((e: any) => e.type === "DatasetRegistered").map((e: any) => e.data)
  return {
    taskId,
    title,
    workload: "digits",
    base: { modelId: "M-1", version: model.versions.at(-1).version },
    datasets: { training: [datasets.find((d: any) => d.split === "training" && d.datasetId.startsWith("digits-")).datasetId], validation: datasets.find((d: any) => d.split === "validation" && d.datasetId.startsWith("digits-")).datasetId },
    objective: { metric: "accuracy", target: 0.9 },
    training: { epochsPerRound: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 5 },
    criteria: { minTrainers: 2, validatorsPerResult: 3, quorum: 2, metricTolerance: 0.01, maxRounds: 2, roundDeadlineSeconds: 180, penalizeRejected: true },
    rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 1000 },
    budget: "1000000"
  }
}

/** The README's "Walkthrough with curl" block, as written. */
const walkthrough = () => {
  const readme = readFileSync("README.md", "utf8")
  const section = readme.slice(readme.indexOf("### Walkthrough with curl"))
  return section.slice(section.indexOf("```bash\n") + 8, section.indexOf("\n```\n"))
}

describe("the dev stack, driven by the neura CLI", () => {
  it("runs the README's curl walkthrough verbatim: the serving coordinator deals bob his work, his hand-made result is recorded and drawn for, eve cannot sign for bob", async () => {
    const run = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = spawn("bash", ["-c", walkthrough()], { cwd: process.cwd(), env: { ...process.env, API: api, NEURA_DATA_DIR: dir } })
      let out = ""
      child.stdout.on("data", (c: Buffer) => (out += c.toString()))
      child.stderr.on("data", (c: Buffer) => (out += c.toString()))
      child.on("exit", (code) => resolve({ code: code ?? -1, out }))
    })
    expect(run.code, run.out).toBe(0)
    expect(run.out).toMatch(/^M-\d+$/m)
    const listed = [...run.out.matchAll(/^\d+\.\d+ (\w+)$/gm)].map((m) => m[1])
    expect(listed, run.out).toEqual(["TaskCreated", "BudgetEscrowed", "NodeJoinedTask", "NodeJoinedTask", "RoundStarted", "TrainingDispatched", "ResultSubmitted", "VerificationRequested"])
    expect(run.out).toMatch(/"code":"NotNodeKey"/)
    // Nothing in it was refused but eve's forgery.
    expect([...run.out.matchAll(/"status":(4\d\d)/g)].map((m) => m[1])).toEqual(["403"])
  }, 300_000)


  it("a task created with `neura task create` after the demo runs on its own (the stack's nodes opt in); `neura task watch` follows it to exit 0; audits find everything by themselves", async () => {
    const reader = new NeuraClient(httpTransport(api), devKey("cli"))
    const deployment = JSON.parse(readFileSync(join(dir, "deployment.json"), "utf8"))
    expect(deployment).toMatchObject({ api, nats: { readUser: "bridge" }, chain: { chainId: 31337, anchorContract: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/) } })

    const spec = await digitsTask(reader, "CLI1", "digits, one more round, from the CLI")
    writeFileSync(join(dir, "task.json"), JSON.stringify(spec))

    const unsigned = await neura(["task", "create", join(dir, "task.json")])
    expect(unsigned.code).toBe(2)
    expect(unsigned.err).toMatch(/this command signs/)
    // On chain the budget is a deposit: without Neura the signer cannot back it; with them `task create` deposits it first.
    const broke = await neura(["task", "create", join(dir, "task.json"), "--key", "pauper", "--no-deposit"])
    expect(broke.code).toBe(1)
    expect(broke.err).toMatch(/402 NotDeposited/)
    expect((await neura(["faucet", "owner", "--neura", "1000000"], { NEURA_DATA_DIR: dir })).code).toBe(0)
    const created = await neura(["task", "create", join(dir, "task.json"), "--key", "owner"], { NEURA_DATA_DIR: dir })
    expect(created.code, created.err).toBe(0)
    expect(created.out).toMatch(/deposited \d+ Neura into task:CLI1/)
    expect(created.out).toMatch(/task CLI1 created at position \d+/)
    // Nobody joins by hand: the stack's nodes opt into new tasks whose data they can get.
    const watched = await neura(["task", "watch", "CLI1"])
    expect(watched.code, `${watched.out}\n${watched.err}\n${output.slice(-2000)}`).toBe(0)
    expect(watched.out).toMatch(/^task CLI1: accuracy ≥ 0.9, at most 2 rounds/m)
    expect(watched.out).toMatch(/^round 1 started on M-1-v\d+/m)
    expect(watched.out).toMatch(/^round 1 \[#+-*\] \d\/\d results decided/m)
    expect(watched.out).toMatch(/^round 1 closed: M-1-v\d+, accuracy 0\.9\d+/m)
    expect(watched.out).toMatch(/^paid \d+ Neura to trainer/m)
    expect(watched.out).toMatch(/^TASK COMPLETED in round 1/m)
    expect(output).toMatch(/\[join\] trainerA-\w+: joined CLI1 as trainer/)
    // The walkthrough's task names data nobody uploaded: the stack's nodes stayed out of it.
    expect(output).toMatch(/\[join\] \S+: not joining CT1: its validation set/)
    // Watching a finished task again replays it and ends the same way; --json gives one JSON document per event.
    const json = await neura(["task", "watch", "CLI1", "--json"])
    expect(json.code).toBe(0)
    const lines = json.out.trim().split("\n").map((l) => JSON.parse(l))
    expect(lines.at(-1).progress).toMatchObject({ taskId: "CLI1", outcome: "completed", held: 0 })

    const final = (await reader.get("/tasks/CLI1")).task.latestVersion
    const download = await neura(["models", "download", `M-1-v${final}`, "--out", join(dir, "weights.json"), "--json"])
    expect(download.code, download.err).toBe(0)
    const versionDoc = (await reader.get("/models/M-1")).model.versions.find((v: any) => v.version === final)
    expect(JSON.parse(readFileSync(join(dir, "weights.json"), "utf8")).weightsHash).toBe(versionDoc.weightsHash)

    // The read commands answer what the API's read models hold (--json), and a human line per item.
    const asJson = async (...args: Array<string>) => {
      const r = await neura([...args, "--json"])
      expect(r.code, `${args.join(" ")}: ${r.err}`).toBe(0)
      return JSON.parse(r.out)
    }
    expect((await asJson("tasks")).map((t: any) => t.taskId)).toContain("CLI1")
    expect((await asJson("task", "get", "CLI1")).status).toBe("completed")
    expect((await asJson("models", "ls")).map((m: any) => m.modelId)).toContain("M-1")
    expect((await asJson("models", "get", "M-1")).versions.at(-1).version).toBe(final)
    expect((await asJson("models", "lineage", "M-1")).nodes.map((n: any) => n.id)).toContain(`M-1-v${final}`)
    expect((await asJson("nodes")).some((n: any) => n.nodeId.startsWith("trainerA-") && n.results.verified > 0)).toBe(true)
    const balances = await asJson("balances")
    expect(balances.length).toBeGreaterThan(3)
    // Payouts are served as one list (kept in pages inside the read model), and add up to what was earned.
    const paid = balances.filter((b: any) => b.payouts.length > 0)
    expect(paid.length).toBeGreaterThan(0)
    for (const b of paid) {
      expect(b).not.toHaveProperty("payoutPages")
      expect(b.payouts.reduce((sum: bigint, p: any) => sum + BigInt(p.amount), 0n)).toBe(BigInt(b.earned))
    }
    const owner = await asJson("balances", devKey("owner").address)
    expect(BigInt(owner.escrowed)).toBeGreaterThan(0n)
    const page = await neura(["events", "--aggregate", "task", "--json"])
    const taskEvents = page.out.trim().split("\n").map((l) => JSON.parse(l))
    expect(taskEvents.filter((e) => e.stream === "task-CLI1").map((e) => e.type)).toContain("TaskCompleted")
    const human = await neura(["nodes"])
    expect(human.out).toMatch(/^trainerA-\w+ +trainer +reputation +\d+/m)
    expect((await neura(["models", "get", "M-404"])).code).toBe(1)
    // `npx neura` from the repo runs the same CLI (package.json bin, through tsx's loader).
    const viaNpx = await new Promise<string>((resolve) => {
      const child = spawn("npx", ["neura", "workloads", "--json", "--api", api], { cwd: process.cwd() })
      let out = ""
      child.stdout.on("data", (c: Buffer) => (out += c.toString()))
      child.on("exit", () => resolve(out))
    })
    expect(JSON.parse(viaNpx).map((w: any) => w.id)).toContain("digits")

    // The API's /metrics (the dev stack's nodes run in its process: their series are there too).
    const metrics = await (await fetch(`${api}/metrics`)).text()
    for (const series of [
      /^neuralink_commands_total\{type="CreateTask",status="201"\} [1-9]/m,
      /^neuralink_append_seconds_bucket\{le="0\.05"\} \d+/m,
      /^neuralink_projection_lag_positions\{projector="api"\} \d+/m,
      /^neuralink_work_queue_pending\{node="trainerA-\w+"\} \d+/m,
      /^neuralink_training_samples_total\{workload="digits"\} [1-9]/m,
      /^neuralink_training_samples_per_second\{node="trainerA-\w+"\} \d/m,
      /^neuralink_validator_verdicts_total\{verdict="accept"\} [1-9]/m,
      /^neuralink_anchor_gas_sum [1-9]/m
    ])
      expect(metrics).toMatch(series)

    // Structured logs: every line of the stack and of the API's request log is a JSON record.
    const records = (file: string) => readFileSync(join(dir, "logs", file), "utf8").trim().split("\n").map((l) => JSON.parse(l))
    const dev = records("dev.jsonl")
    expect(dev.some((r) => r.component === "network" && /CLI1 r1 s\d: trained/.test(r.msg))).toBe(true)
    expect(dev.some((r) => r.component === "join" && /joined CLI1/.test(r.msg))).toBe(true)
    expect(records("api.jsonl").some((r) => r.req?.url === "/commands/CreateTask" || r.res?.statusCode === 201)).toBe(true)

    const deploymentFlag = ["--deployment", join(dir, "deployment.json")]
    const audit = await neura(["audit", ...deploymentFlag, "--json"])
    expect(audit.code, audit.out + audit.err).toBe(0)
    expect(JSON.parse(audit.out)).toMatchObject({ ok: true })
    const anchors = await neura(["verify-anchors", ...deploymentFlag, "--json"])
    expect(anchors.code, anchors.out + anchors.err).toBe(0)
    expect(JSON.parse(anchors.out)).toMatchObject({ ok: true })

    // The demo's task settled on chain as one root and every payee claimed (scripts/devSettlement.ts).
    expect(output).toMatch(/\[demo\] settled on chain: one Merkle root 0x[0-9a-f]+… for \d+ payees/)
    expect(output).toMatch(/\[demo\] every payee claimed with its proof: (\d+)\/\1 hold their Neura on chain; unclaimed left in escrow: 0/)
    // Parameter Tracker: a verified result of CLI1, each of its events proven against the anchored root and its signer recovered.
    const verified = lines.find((l) => l.type === "ResultVerified")!.data.resultId as string
    const reader2 = new NeuraClient(httpTransport(api), devKey("cli"))
    for (let i = 0; i < 200; i++) {
      const proof = await reader2.get(`/results/${verified}/proof`).catch(() => undefined)
      if (proof) break
      await new Promise((r) => setTimeout(r, 250))
    }
    const tracked = await neura(["verify-result", verified, ...deploymentFlag, "--json"])
    expect(tracked.code, tracked.out + tracked.err).toBe(0)
    const checks = JSON.parse(tracked.out).checks as Array<{ type: string; signer?: string; problems: Array<string> }>
    expect(checks.map((c) => c.type)).toEqual(expect.arrayContaining(["ResultSubmitted", "ResultVerified"]))
    expect(checks.find((c) => c.type === "ResultSubmitted")!.signer).toMatch(/^0x[0-9a-f]{40}$/)
    // The task's own settlement: claim a trainer's share with the CLI (the key sends it: it has gas from the demo).
    for (let i = 0; i < 400; i++) {
      if (await reader2.get("/settlements/settle:task:CLI1").catch(() => undefined)) break
      await new Promise((r) => setTimeout(r, 250))
    }
    const settled = await reader2.get("/settlements/settle:task:CLI1")
    expect(settled.claims.length).toBeGreaterThan(2)
    const ownerClaim = await neura(["claim", "settle:task:CLI1", "--key", "owner", ...deploymentFlag, "--json"])
    expect(ownerClaim.code, ownerClaim.out + ownerClaim.err).toBe(0)
    const again = await neura(["claim", "settle:task:CLI1", "--key", "owner", ...deploymentFlag])
    expect(again.code).toBe(1)
    expect(again.err).toMatch(/AlreadyClaimed/)
  }, 400_000)

  it("the dashboard (/ui) in a real headless Chromium: the demo task's metric per round, the lineage graph with a fork, nodes, and an anchored event verified in the browser", async () => {
    const client = new NeuraClient(httpTransport(api), devKey("owner"))
    const { items: tasks } = await client.get("/tasks?limit=500")
    const demo = tasks.find((t: any) => t.taskId.startsWith("digits-"))
    // A fork, so the lineage graph has two models.
    const { model: before } = await client.get(`/models/${demo.modelId}`)
    await client.command("ForkModel", { parent: { modelId: demo.modelId, version: before.versions.at(-1).version }, name: "a branch to see in the graph" })
    const { model } = await client.get(`/models/${demo.modelId}`)
    const lineage = await client.get(`/models/${demo.modelId}/lineage`)
    const expected = model.metricLog.filter((m: any) => m.taskId === demo.taskId && m.round !== undefined).map((m: any) => ({ round: m.round, value: m.metrics[demo.objective.metric] }))
    expect(expected.length).toBeGreaterThan(1)

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"], headless: true })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } })
      const errors: Array<string> = []
      page.on("pageerror", (e) => errors.push(e.message))
      await page.goto(`${api}/ui?task=${encodeURIComponent(demo.taskId)}`)
      await page.waitForSelector("body[data-ready=true]")
      await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll("#lineage g.version-node").length === n, lineage.nodes.length)
      const points = await page.$$eval("#chart circle.point", (cs) => cs.map((c) => ({ round: Number(c.getAttribute("data-round")), value: Number(c.getAttribute("data-value")) })))
      expect(points).toEqual(expected)
      expect(await page.$eval("#chart line.target", (l) => Number(l.getAttribute("data-target")))).toBe(demo.objective.target)
      const drawn = await page.$$eval("#lineage g.version-node", (gs) => gs.map((g) => g.getAttribute("data-id")))
      expect(new Set(drawn)).toEqual(new Set(lineage.nodes.map((n: any) => n.id)))
      expect(await page.$$eval("#lineage line.edge.fork", (ls) => ls.length)).toBe(1)
      expect(await page.$$eval("#nodes tbody tr", (rs) => rs.length)).toBeGreaterThanOrEqual(5)
      // The demo task's on-chain settlement: its root and every payee, as the log recorded it.
      const posted = await client.get(`/settlements/settle:task:${demo.taskId}`)
      const shown = await page.$eval(`#settlements tr[data-settlement="settle:task:${demo.taskId}"]`, (tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent))
      expect(shown).toEqual([`settle:task:${demo.taskId}`, String(posted.claims.length), posted.total, posted.burned, `${posted.root.slice(0, 14)}…`, String(posted.blockNumber)])
      // Verify an anchored event in the browser (keccak-256 and the Merkle fold run in the page).
      await page.click("#anchors tbody tr:first-child button")
      await page.waitForSelector("#verdict[data-verified]")
      expect(await page.$eval("#verdict", (v) => [v.getAttribute("data-verified"), v.textContent])).toEqual(["true", expect.stringMatching(/verified in this browser/)])
      expect(errors).toEqual([])
      mkdirSync("test-artifacts", { recursive: true })
      await page.screenshot({ path: "test-artifacts/dashboard.png", fullPage: true })
    } finally {
      await browser.close()
    }
  }, 120_000)

  it("neura keys new + neura node start: a validator signing from an encrypted keystore registers, gets its NATS user, joins a new task by itself and stops cleanly", async () => {
    const env = { NEURA_KEYSTORE_PASSWORD: "correct horse battery staple" }
    const made = await neura(["keys", "new", "--out", join(dir, "judge.json"), "--json"], env)
    expect(made.code, made.err).toBe(0)
    const { address } = JSON.parse(made.out)
    expect((await neura(["keys", "show", join(dir, "judge.json"), "--json"], env)).out).toContain(address)
    expect((await neura(["keys", "show", join(dir, "judge.json")], { NEURA_KEYSTORE_PASSWORD: "wrong" })).code).toBe(1)

    const node = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "node", "start", "--role", "validator", "--node-id", "cli-judge", "--keystore", join(dir, "judge.json"), "--api", api, "--deployment", join(dir, "deployment.json")], {
      cwd: process.cwd(),
      env: { ...process.env, ...env },
      detached: true
    })
    let log = ""
    node.stdout.on("data", (c: Buffer) => (log += c.toString()))
    node.stderr.on("data", (c: Buffer) => (log += c.toString()))
    const exited = new Promise<number>((resolve) => node.on("exit", (code) => resolve(code ?? -1)))
    const until = async (what: RegExp) => {
      for (let i = 0; i < 600 && !what.test(log); i++) await new Promise((r) => setTimeout(r, 250))
      expect(log, `waiting for ${what}`).toMatch(what)
    }
    try {
      await until(/waiting for work/)
      const reader = new NeuraClient(httpTransport(api), devKey("owner"))
      expect((await reader.get("/nodes/cli-judge")).node).toMatchObject({ address, roles: ["validator"] })
      // Its stake and the task's budget are deposits: the faucet funds both keys, each deposits with a permit.
      const withDir = { ...env, NEURA_DATA_DIR: dir }
      expect((await neura(["faucet", address, "--neura", "10000"], withDir)).code).toBe(0)
      const staked = await neura(["deposit", "stake:cli-judge", "10000", "--keystore", join(dir, "judge.json")], withDir)
      expect(staked.code, staked.err).toBe(0)
      expect((await neura(["faucet", "owner", "--neura", "1000000"], withDir)).code).toBe(0)
      expect((await neura(["deposit", "task:CLI2", "1000000", "--key", "owner"], withDir)).code).toBe(0)
      await reader.command("CreateTask", await digitsTask(reader, "CLI2", "a task the new node joins by itself"))
      await until(/joined CLI2 as validator/)
    } finally {
      // Ctrl-C's SIGTERM to the CLI alone: it hands it to the node, which drains and exits 0.
      process.kill(node.pid!, "SIGTERM")
    }
    const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-2), 30_000))])
    if (code === -2) process.kill(-node.pid!, "SIGKILL")
    expect(code, log.slice(-2000)).toBe(0)
    expect(log).toMatch(/"msg":"stopping"/)
  }, 300_000)
})
