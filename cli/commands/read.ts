import { writeFileSync } from "node:fs"
import { UsageError, jsonText, printDoc, printList, type CliCommand } from "../cli"

const versionRef = (ref: string | undefined) => {
  const m = /^(M-[1-9][0-9]*)-v([1-9][0-9]*)$/.exec(ref ?? "")
  if (!m) throw new UsageError("name a version as M-<n>-v<k>, e.g. M-1-v8")
  return { modelId: m[1]!, version: Number(m[2]) }
}
const short = (m: Readonly<Record<string, number>> | undefined) => (m ? Object.entries(m).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(", ") : "")

/** The read side: models, nodes, balances, the log. */
export const readCommands: ReadonlyArray<CliCommand> = [
  {
    name: "models ls",
    args: "",
    summary: "Every model: status, versions, the latest version's metrics, where it came from.",
    run: (ctx) =>
      printList(
        ctx,
        "/models?limit=500",
        (m) => {
          const last = m.versions.at(-1)
          return `${m.modelId.padEnd(8)} ${m.status.padEnd(10)} v${last?.version ?? 0} ${short(last?.metrics).padEnd(40)} ${m.origin.kind}${m.origin.opaque ? " (opaque ONNX)" : ""} ${m.name}`
        },
        "no models"
      )
  },
  {
    name: "models get",
    args: "<modelId>",
    summary: "One model: versions with lineage, metrics and consensus scores, forks, governance.",
    run: async (ctx, [modelId]) => {
      if (!modelId) throw new UsageError("models get needs <modelId>")
      return printDoc(ctx, `/models/${encodeURIComponent(modelId)}`, "model")
    }
  },
  {
    name: "models lineage",
    args: "<modelId>",
    summary: "The lineage graph of a model, its fork ancestors and descendants: versions as nodes, derivations and forks as edges.",
    run: async (ctx, [modelId]) => {
      if (!modelId) throw new UsageError("models lineage needs <modelId>")
      const graph = await ctx.reader.get(`/models/${encodeURIComponent(modelId)}/lineage`)
      const human = [...graph.nodes.map((n: any) => `${n.id}${n.taskId ? ` (task ${n.taskId})` : ""} ${short(n.metrics)}`), ...graph.edges.map((e: any) => `${e.from} → ${e.to}${e.kind ? ` [${e.kind}]` : ""}`)]
      ctx.print(human.join("\n"), graph)
      return 0
    }
  },
  {
    name: "models download",
    args: "<M-n-vK>",
    summary: "A version's weights with their topology (TF.js Layers model.json, weights inlined), or --format onnx, written to --out (default <M-n-vK>.json / .onnx).",
    options: { out: { type: "string", description: "the file to write" }, format: { type: "string", description: "tfjs (default) or onnx" } },
    run: async (ctx, [ref], values) => {
      const { modelId, version } = versionRef(ref)
      const format = (values.format as string | undefined) ?? "tfjs"
      if (format !== "tfjs" && format !== "onnx") throw new UsageError("--format is tfjs or onnx")
      const out = (values.out as string | undefined) ?? `${ref}.${format === "onnx" ? "onnx" : "json"}`
      const response = await fetch(`${ctx.api}/models/${modelId}/versions/${version}/export${format === "onnx" ? "?format=onnx" : ""}`)
      if (!response.ok) {
        const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string }
        ctx.print(`${response.status} ${problem.code ?? ""}: ${problem.detail ?? ""}`, { status: response.status, ...problem })
        return 1
      }
      const bytes = new Uint8Array(await response.arrayBuffer())
      writeFileSync(out, bytes)
      const meta = format === "tfjs" ? (JSON.parse(new TextDecoder().decode(bytes)) as { weightsHash?: string; workload?: string }) : {}
      ctx.print(`wrote ${out} (${bytes.length} bytes${meta.weightsHash ? `, weights ${meta.weightsHash}` : ""})`, { file: out, bytes: bytes.length, modelId, version, format, ...meta })
      return 0
    }
  },
  {
    name: "nodes",
    args: "",
    summary: "Nodes by reputation: roles, results, votes, stake, earnings.",
    run: (ctx) =>
      printList(
        ctx,
        "/nodes?sort=reputation&limit=500",
        (n) =>
          `${n.nodeId.padEnd(28)} ${n.roles.join(",").padEnd(10)} reputation ${String(n.reputation).padStart(4)}  verified ${n.results.verified}/${n.results.submitted}  votes ${n.votes.agreeing}/${n.votes.cast}  stake ${n.stake.bonded}  earned ${n.earned}`,
        "no nodes"
      )
  },
  {
    name: "balances",
    args: "[address]",
    summary: "Neura per address (earned, refunded, escrowed, bonded, withdrawn, slashed, net), or one address with its payouts.",
    run: async (ctx, [address]) => {
      if (address) return printDoc(ctx, `/balances/${encodeURIComponent(address)}`, "balance")
      return printList(ctx, "/balances?limit=500", (b) => `${b.address}  earned ${b.earned}  escrowed ${b.escrowed}  refunded ${b.refunded}  bonded ${b.bonded}  slashed ${b.slashed}  net ${b.net}`, "no balances")
    }
  },
  {
    name: "events",
    args: "",
    summary: "The log in global order from --from (a position or a cursor), a page at a time; --follow keeps printing new events as they are appended.",
    options: {
      from: { type: "string", description: "a position (649) or the cursor of a previous page (648.4); default the start" },
      aggregate: { type: "string", description: "only this aggregate's streams (task, model, node, dataset, anchor, scoring)" },
      follow: { type: "boolean", description: "keep following the log (Ctrl-C to stop)" }
    },
    run: async (ctx, _, values) => {
      const print = (e: any) => (ctx.json ? console.log(jsonText(e)) : console.log(`${String(e.globalPosition).padStart(6)}.${e.indexInCommit ?? 0}  ${e.stream.padEnd(34)} ${e.type}`))
      let cursor = (values.from as string | undefined) ?? "1"
      const aggregate = values.aggregate ? `&aggregate=${encodeURIComponent(values.aggregate as string)}` : ""
      for (;;) {
        // Pages resume exactly at the cursor (no event dropped or repeated); following polls the same way.
        const page = await ctx.reader.get(`/events?from=${encodeURIComponent(cursor)}&limit=1000${aggregate}`)
        for (const e of page.events) print(e)
        cursor = page.next
        if (page.events.length === 1000) continue
        if (!values.follow) return 0
        await new Promise((r) => setTimeout(r, 500))
      }
    }
  }
]
