import { spawn } from "node:child_process"
import { bytesToHex } from "@noble/hashes/utils.js"
import { ApiError } from "../../commands/client"
import { readCredentials } from "../../infra/deployment"
import { UsageError, type CliCommand } from "../cli"

/** The NATS password the dev stack gave a node (its credentials file), waiting up to a minute for it to appear. */
const natsPasswordOfNode = async (credentialsFile: string, nodeId: string) => {
  for (let i = 0; i < 120; i++) {
    const password = readCredentials(credentialsFile).nodes?.[nodeId]?.password
    if (password) return password
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`the dev stack gave ${nodeId} no NATS user within a minute (${credentialsFile})`)
}

/** Running a node on this machine with a key from a keystore. */
export const nodeCommands: ReadonlyArray<CliCommand> = [
  {
    name: "node start",
    args: "",
    summary:
      "Run a trainer or validator node (nodes/<role>/main.ts) signing with --keystore (or --key): it registers its key, gets its NATS user from the dev stack (deployment record), opts into new tasks it can get the data of (--no-auto-join to opt in by hand), and runs until Ctrl-C. Exits with the node's status.",
    options: {
      role: { type: "string", description: "trainer or validator" },
      "node-id": { type: "string", description: "the node's id (letters, digits, - and _)" },
      "no-auto-join": { type: "boolean", description: "do not join new tasks by itself" },
      capabilities: { type: "string", description: "comma-separated (default tfjs)" }
    },
    run: async (ctx, _, values) => {
      const role = values.role as string | undefined
      const nodeId = values["node-id"] as string | undefined
      if (role !== "trainer" && role !== "validator") throw new UsageError("--role is trainer or validator")
      if (!nodeId || !/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) throw new UsageError("--node-id is 1-64 letters, digits, - or _")
      const signer = ctx.signer()
      const capabilities = ((values.capabilities as string | undefined) ?? "tfjs").split(",").filter(Boolean)
      try {
        await signer.command("RegisterNode", { nodeId, publicKey: signer.key.publicKey, roles: [role], capabilities }, { commandId: `register-${nodeId}` })
      } catch (e) {
        if (!(e instanceof ApiError && e.problem.code === "NodeAlreadyRegistered")) throw e
      }
      const deployment = ctx.deployment()
      const password = await natsPasswordOfNode(deployment.nats.credentialsFile, nodeId)
      if (!ctx.json) console.error(`${nodeId} (${signer.key.address}) starting as ${role} against ${ctx.api}`)
      const env: Record<string, string | undefined> = {
        ...process.env,
        NODE_ID: nodeId,
        NODE_SECRET: `0x${bytesToHex(signer.key.secretKey)}`,
        NODE_CAPABILITIES: capabilities.join(","),
        API_URL: ctx.api,
        NATS_URL: deployment.nats.url,
        NATS_USER: `node-${nodeId}`,
        NATS_PASSWORD: password,
        NODE_AUTO_JOIN: values["no-auto-join"] ? "false" : "true"
      }
      delete env.NODE_DEV_KEY
      // node --import tsx directly (not npx): signals reach the node process itself.
      const child = spawn(process.execPath, ["--import", "tsx", `nodes/${role}/main.ts`], { stdio: "inherit", env })
      // Ctrl-C or SIGTERM reach the node, which drains and exits; we exit with it.
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal))
      return new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)))
    }
  }
]
