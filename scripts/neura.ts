import { readFileSync } from "node:fs"
import { ApiError, httpTransport, NeuraClient } from "../commands/client"
import { devKey } from "../commands/samples"
import { apiShardWriter } from "../commands/weightsClient"
import { importModelPackage } from "../commands/modelPackage"
import { keyPairFromSecret } from "../infra/identity/signature"

/**
 * `neura`: the command line over the HTTP API (NEURA_API, default http://127.0.0.1:8080).
 *   npm run neura -- workloads
 *   npm run neura -- upload-shard <key> <file>          → its content hash (name it in RegisterDataset/SubmitData)
 *   npm run neura -- generate <modelId> <version> "<prompt>" [--max-tokens N] [--temperature T] [--seed S]
 *   npm run neura -- episode <modelId> <version> <seed>  → a published agent's transcript
 *   npm run neura -- import <key> <dir> [name]           → ImportModel from <dir>/neura-model.json and its artefact
 *   npm run neura -- score <key> <modelId> <version> <datasetId> [--fee N] [--judges N]
 *                                                        → RequestScoring, then waits for the judges' consensus
 * <key> is a dev identity name or 0x<32-byte secret>. Errors print the API's problem and exit 1.
 */
const api = process.env.NEURA_API ?? "http://127.0.0.1:8080"
const [command, ...args] = process.argv.slice(2)
const keyOf = (arg: string) => (arg.startsWith("0x") ? keyPairFromSecret(arg) : devKey(arg))
const client = new NeuraClient(httpTransport(api), devKey("cli"))
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const n = Number(args[i + 1])
  if (!Number.isFinite(n)) usage(`--${name} takes a number`)
  return n
}
function usage(why?: string): never {
  if (why) console.error(why)
  console.error('usage: neura workloads | upload-shard <key> <file> | generate <modelId> <version> "<prompt>" [--max-tokens N] [--temperature T] [--seed S] | episode <modelId> <version> <seed> | import <key> <dir> [name] | score <key> <modelId> <version> <datasetId> [--fee N] [--judges N]')
  process.exit(2)
}

try {
  switch (command) {
    case "workloads":
      console.log(JSON.stringify(await client.get("/workloads"), null, 2))
      break
    case "upload-shard": {
      const [key, file] = args
      if (!key || !file) usage()
      const hash = await apiShardWriter(httpTransport(api), keyOf(key)).put(new Uint8Array(readFileSync(file)))
      console.log(JSON.stringify({ contentHash: hash, name: `sha256-${hash.slice(2)}`, bytes: readFileSync(file).length }))
      break
    }
    case "generate": {
      const [modelId, version, prompt] = args
      if (!modelId || !version || prompt === undefined) usage()
      const answer = await client.post(`/models/${modelId}/versions/${version}/generate`, {
        prompt,
        maxTokens: option("max-tokens", 200),
        temperature: option("temperature", 0.8),
        seed: option("seed", 1)
      })
      console.log(`${answer.prompt}${answer.text}`)
      break
    }
    case "episode": {
      const [modelId, version, seed] = args
      if (!modelId || !version || seed === undefined) usage()
      console.log(JSON.stringify(await client.post(`/models/${modelId}/versions/${version}/episodes`, { seed: Number(seed) }), null, 2))
      break
    }
    case "import": {
      const [key, dir, name] = args
      if (!key || !dir) usage()
      const out = await importModelPackage(new NeuraClient(httpTransport(api), keyOf(key)), dir, name ?? dir)
      const registered = out.results[0]!.events[0]!.data
      console.log(JSON.stringify({ modelId: registered.modelId, origin: registered.origin, topologyHash: registered.topologyHash }, null, 2))
      break
    }
    case "score": {
      const [key, modelId, version, datasetId] = args
      if (!key || !modelId || !version || !datasetId) usage()
      const requester = new NeuraClient(httpTransport(api), keyOf(key))
      const requested = (
        await requester.command("RequestScoring", { modelId, version: Number(version), datasetId, fee: String(option("fee", 0)), judges: option("judges", 3) })
      ).results[0]!.events[0]!.data
      console.error(`${requested.scoringId}: ${requested.judges} judges to be drawn; measuring ${requested.metric} on ${requested.artefact._tag === "Onnx" ? "the ONNX file (onnxruntime)" : "the Layers model (TF.js)"}`)
      for (;;) {
        const { events } = (await client.get(`/scorings/${requested.scoringId}`)) as { events: Array<{ type: string; data: any }> }
        const end = events.find((e) => e.type === "ModelVersionScored" || e.type === "ScoringFailed")
        if (end) {
          console.log(JSON.stringify({ outcome: end.type, ...end.data }, null, 2))
          process.exit(end.type === "ModelVersionScored" ? 0 : 3)
        }
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    default:
      usage(command ? `unknown command ${command}` : undefined)
  }
} catch (e) {
  if (e instanceof ApiError) {
    console.error(`${e.status} ${JSON.stringify(e.problem)}`)
    process.exit(1)
  }
  console.error(`neura: ${e instanceof Error ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ""}` : String(e)} — is the API at ${api}?`)
  process.exit(1)
}
