import { readFileSync } from "node:fs"
import { importModelPackage } from "../../commands/modelPackage"
import { apiShardWriter } from "../../commands/weightsClient"
import { UsageError, type CliCommand, type Ctx } from "../cli"

const number = (values: Readonly<Record<string, string | boolean | undefined>>, name: string, fallback: number) => {
  const raw = values[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (typeof raw !== "string" || !Number.isFinite(n)) throw new UsageError(`--${name} takes a number`)
  return n
}
const versionArgs = (modelId: string | undefined, version: string | undefined, what: string) => {
  if (!modelId || !version || !/^[1-9][0-9]*$/.test(version)) throw new UsageError(`${what} needs <modelId> <version> (e.g. M-1 8)`)
  return { modelId, version: Number(version) }
}

/** Waits for a scoring to settle: its outcome event. */
const settled = async (ctx: Ctx, scoringId: string) => {
  for (;;) {
    const { events } = (await ctx.reader.get(`/scorings/${encodeURIComponent(scoringId)}`)) as { events: Array<{ type: string; data: any }> }
    const end = events.find((e) => e.type === "ModelVersionScored" || e.type === "ScoringFailed")
    if (end) return end
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** Using and contributing models and data: workloads, shards, imports, scoring, generation, episodes. */
export const modelCommands: ReadonlyArray<CliCommand> = [
  {
    name: "workloads",
    args: "",
    summary: "The workloads the network trains: data format, source and licence, metrics, what an imported model must take and give.",
    run: async (ctx) => {
      const { workloads } = await ctx.reader.get("/workloads")
      ctx.print(workloads.map((w: any) => `${w.id.padEnd(18)} ${w.family.padEnd(20)} ${w.data.format.padEnd(22)} ${w.metrics.map((m: any) => m.name).join(", ")}`).join("\n"), workloads)
      return 0
    }
  },
  {
    name: "upload-shard",
    args: "<file>",
    summary: "Upload a dataset shard (signed), content-addressed: prints the hash to name in RegisterDataset or SubmitData.",
    run: async (ctx, [file]) => {
      if (!file) throw new UsageError("upload-shard needs <file>")
      const bytes = new Uint8Array(readFileSync(file))
      const signer = ctx.signer()
      const hash = await apiShardWriter(signer.transport, signer.key).put(bytes)
      ctx.print(`${hash} (sha256-${hash.slice(2)}, ${bytes.length} bytes)`, { contentHash: hash, name: `sha256-${hash.slice(2)}`, bytes: bytes.length })
      return 0
    }
  },
  {
    name: "import",
    args: "<dir> [name]",
    summary: "Submit a model built elsewhere (signed): <dir>/neura-model.json and the artefact it names (ONNX, TF.js Layers or Keras JSON).",
    run: async (ctx, [dir, name]) => {
      if (!dir) throw new UsageError("import needs <dir>")
      const out = await importModelPackage(ctx.signer(), dir, name ?? dir)
      const registered = out.results[0]!.events[0]!.data
      const summary = { modelId: registered.modelId, origin: registered.origin, topologyHash: registered.topologyHash }
      ctx.print(`${registered.modelId} imported${registered.topology["neura:onnx-opaque"] ? " as an opaque ONNX model (scored, forked, published; not trained)" : ""}`, summary)
      return 0
    }
  },
  {
    name: "score",
    args: "<modelId> <version> <datasetId>",
    summary: "Ask staked validators to score a version on a validation dataset (signed RequestScoring), then wait for their consensus. Exit 0 scored, 3 failed.",
    options: { fee: { type: "string", description: "Neura base units for the judges (default 0)" }, judges: { type: "string", description: "how many judges, 3 to 9 (default 3)" } },
    run: async (ctx, [modelId, version, datasetId], values) => {
      const ref = versionArgs(modelId, version, "score")
      if (!datasetId) throw new UsageError("score needs <datasetId>")
      const payload = { ...ref, datasetId, fee: String(number(values, "fee", 0)), judges: number(values, "judges", 3) }
      const requested = (await ctx.signer().command("RequestScoring", payload)).results[0]!.events[0]!.data
      if (!ctx.json) console.error(`${requested.scoringId}: ${requested.judges} judges to be drawn; measuring ${requested.metric} on ${requested.artefact._tag === "Onnx" ? "the ONNX file (onnxruntime)" : "the Layers model (TF.js)"}`)
      const end = await settled(ctx, requested.scoringId)
      const human =
        end.type === "ModelVersionScored"
          ? `${requested.scoringId}: ${Object.entries(end.data.metrics).map(([k, v]) => `${k} ${v}`).join(", ")} (agreeing ${end.data.agreeing.join(", ")}${end.data.disagreeing.length ? `; disagreeing ${end.data.disagreeing.join(", ")}` : ""}${end.data.silent.length ? `; silent ${end.data.silent.join(", ")}` : ""})`
          : `${requested.scoringId} failed: ${end.data.reason}`
      ctx.print(human, { outcome: end.type, ...end.data })
      return end.type === "ModelVersionScored" ? 0 : 3
    }
  },
  {
    name: "generate",
    args: "<modelId> <version> <prompt>",
    summary: "Continue a prompt with a published generative model (the same seed gives the same text).",
    options: {
      "max-tokens": { type: "string", description: "tokens to generate (default 200)" },
      temperature: { type: "string", description: "0 is greedy (default 0.8)" },
      seed: { type: "string", description: "sampling seed (default 1)" }
    },
    run: async (ctx, [modelId, version, prompt], values) => {
      const ref = versionArgs(modelId, version, "generate")
      if (prompt === undefined) throw new UsageError("generate needs <prompt>")
      const answer = await ctx.reader.post(`/models/${ref.modelId}/versions/${ref.version}/generate`, {
        prompt,
        maxTokens: number(values, "max-tokens", 200),
        temperature: number(values, "temperature", 0.8),
        seed: number(values, "seed", 1)
      })
      ctx.print(`${answer.prompt}${answer.text}`, answer)
      return 0
    }
  },
  {
    name: "episode",
    args: "<modelId> <version> <seed>",
    summary: "Run a published agent in the environment of a seed: the whole transcript of tool calls, observations and rewards.",
    run: async (ctx, [modelId, version, seed]) => {
      const ref = versionArgs(modelId, version, "episode")
      if (seed === undefined || !/^[0-9]+$/.test(seed)) throw new UsageError("episode needs <seed> (an integer)")
      const answer = await ctx.reader.post(`/models/${ref.modelId}/versions/${ref.version}/episodes`, { seed: Number(seed) })
      ctx.print(JSON.stringify(answer, null, 2), answer)
      return 0
    }
  }
]
