import { Layer, ManagedRuntime, Schema, Stream } from "effect"
import type { Address, Hex } from "viem"
import { chainClient } from "../chain-bridge/ChainClient"
import { auditAnchors } from "../chain-bridge/verifyAnchors"
import { EventStore } from "../domain/ports"
import { RecordedEvent } from "../domain/recordedEvent"
import { EventStoreFromEnv } from "../infra/eventStore"
import { readWholeLog } from "../infra/eventStore/wholeLog"

/**
 * Audit the log against the chain: replay every event, re-check every hash
 * and link, recompute every anchored batch's Merkle root and compare it with
 * the root EventAnchor stores. Prints a JSON report; exits 1 on any mismatch.
 * Environment: the event store's (NATS_URL, …) plus CHAIN_RPC_URL, CHAIN_ID,
 * ANCHOR_CONTRACT (reads only; the key is not needed but the client wants one:
 * AUDIT_PRIVATE_KEY, defaulting to a throwaway).
 */
const rpc = process.env.CHAIN_RPC_URL
const contract = process.env.ANCHOR_CONTRACT as Address | undefined
if (!rpc || !contract) {
  console.error("CHAIN_RPC_URL and ANCHOR_CONTRACT are required")
  process.exit(2)
}
const runtime = ManagedRuntime.make(EventStoreFromEnv("audit") as Layer.Layer<EventStore, unknown>)
const { events, foreign } = await runtime.runPromise(EventStore.use((s) => readWholeLog(s)))
const chain = chainClient(
  { chainId: Number(process.env.CHAIN_ID ?? 31337), rpc, privateKey: (process.env.AUDIT_PRIVATE_KEY ?? `0x${"01".repeat(32)}`) as Hex },
  contract
)
const report = auditAnchors(Schema.encodeSync(Schema.Array(RecordedEvent))(events), await chain.anchors(), foreign.map((f) => f.globalPosition))
console.log(JSON.stringify({ events: events.length, ...report }, null, 2))
await runtime.dispose()
process.exit(report.ok ? 0 : 1)
