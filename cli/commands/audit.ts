import { readFileSync, writeFileSync } from "node:fs"
import { Layer, ManagedRuntime, Schema } from "effect"
import type { Address } from "viem"
import { chainClient, READ_ONLY_KEY } from "../../chain-bridge/ChainClient"
import { auditAnchors } from "../../chain-bridge/verifyAnchors"
import { EventStore } from "../../domain/ports"
import { RecordedEvent, type EncodedRecordedEvent } from "../../domain/recordedEvent"
import { natsPasswordOf } from "../../infra/deployment"
import { EventStoreFromEnv } from "../../infra/eventStore"
import { readWholeLog, type ForeignMessage } from "../../infra/eventStore/wholeLog"
import { auditLog } from "../../projections/audit"
import { jsonText, type CliCommand, type Ctx } from "../cli"

/**
 * The whole log straight from NATS: NATS_URL / NATS_USER / NATS_PASSWORD when
 * set, else the deployment record's log-reading user and its password.
 */
const readLog = async (ctx: Ctx) => {
  if (!process.env.NATS_URL) {
    const d = ctx.deployment()
    process.env.NATS_URL = d.nats.url
    process.env.NATS_USER = d.nats.readUser
    process.env.NATS_PASSWORD = natsPasswordOf(d, d.nats.readUser)
  }
  const runtime = ManagedRuntime.make(EventStoreFromEnv("audit") as Layer.Layer<EventStore, unknown>)
  try {
    const log = await runtime.runPromise(EventStore.use((s) => readWholeLog(s)))
    return { events: Schema.encodeSync(Schema.Array(RecordedEvent))(log.events), foreign: log.foreign }
  } finally {
    await runtime.dispose()
  }
}

/** Independent checks anyone can run: replay the log, compare with the chain, export a copy. */
export const auditCommands: ReadonlyArray<CliCommand> = [
  {
    name: "audit",
    args: "",
    summary:
      "Replay the whole log (from NATS, found through the deployment record, or a copy with --file) into fresh read models, verify the hash chain and every signature, and diff against the API's live read models. Exit 1 on any problem.",
    options: {
      file: { type: "string", description: "audit an exported copy (neura export-log) instead of the live log" },
      offline: { type: "boolean", description: "do not diff against the API's live read models" }
    },
    run: async (ctx, _, values) => {
      let events: ReadonlyArray<EncodedRecordedEvent>
      let foreign: ReadonlyArray<ForeignMessage> = []
      if (values.file) events = JSON.parse(readFileSync(values.file as string, "utf8"))
      else ({ events, foreign } = await readLog(ctx))
      const live = values.offline ? undefined : ((await ctx.reader.get("/audit/projections")) as Parameters<typeof auditLog>[1])
      const report = auditLog(events, live, foreign)
      ctx.print(JSON.stringify(report, null, 2), report)
      return report.ok ? 0 : 1
    }
  },
  {
    name: "verify-anchors",
    args: "",
    summary:
      "Re-hash every event, recompute every anchored batch's Merkle root and compare it with the root the EventAnchor contract holds (chain and contract from the deployment record, or --rpc/--contract). Exit 1 on a mismatch.",
    options: {
      rpc: { type: "string", description: "the chain's JSON-RPC URL (default: the deployment record's, or CHAIN_RPC_URL)" },
      contract: { type: "string", description: "the EventAnchor address (default: the deployment record's, or ANCHOR_CONTRACT)" },
      "chain-id": { type: "string", description: "the chain id (default: the deployment record's, or CHAIN_ID, or 31337)" }
    },
    run: async (ctx, _, values) => {
      const record = values.rpc && values.contract ? undefined : ctx.deployment()
      const rpc = (values.rpc as string | undefined) ?? process.env.CHAIN_RPC_URL ?? record!.chain.rpc
      const contract = ((values.contract as string | undefined) ?? process.env.ANCHOR_CONTRACT ?? record!.chain.anchorContract) as Address
      const chainId = Number(values["chain-id"] ?? process.env.CHAIN_ID ?? record?.chain.chainId ?? 31337)
      const { events, foreign } = await readLog(ctx)
      const chain = chainClient({ chainId, rpc, privateKey: READ_ONLY_KEY }, contract)
      const report = auditAnchors(events, await chain.anchors(), foreign.map((f) => f.globalPosition))
      ctx.print(JSON.stringify({ events: events.length, ...report }, null, 2), { events: events.length, ...report })
      return report.ok ? 0 : 1
    }
  },
  {
    name: "export-log",
    args: "",
    summary: "Write the whole log, as stored (encoded envelopes), as JSON to --out (default stdout): a copy anyone can audit with neura audit --file.",
    options: { out: { type: "string", description: "the file to write (default stdout)" } },
    run: async (ctx, _, values) => {
      const { events } = await readLog(ctx)
      if (values.out) writeFileSync(values.out as string, jsonText(events))
      else process.stdout.write(jsonText(events))
      return 0
    }
  }
]
