import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import type { DomainEvent } from "../domain/events"
import type { EventStore } from "../domain/ports"
import type { Address, DatasetId, Hash32, NodeId, PublicKey, TaskId } from "../domain/primitives"

/**
 * The end-to-end demo run by the main command. For now it exercises the
 * foundation: append a node, a dataset and an escrow through the event store
 * (as the api role), then read the log back and verify its hash chain over
 * HTTP. Later capabilities extend this into a full training task.
 */
export const runDemo = async ({ apiUrl, store }: { apiUrl: string; store: EventStore["Service"] }) => {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`
  const now = new Date().toISOString()
  const owner = `0x${randomBytes(20).toString("hex")}` as Address
  const appends: Array<{ stream: string; events: Array<DomainEvent> }> = [
    {
      stream: `node-N${run}`,
      events: [
        {
          _tag: "NodeRegistered",
          nodeId: `N${run}` as NodeId,
          publicKey: `0x02${randomBytes(32).toString("hex")}` as PublicKey,
          address: `0x${randomBytes(20).toString("hex")}` as Address,
          roles: ["trainer"],
          capabilities: ["tfjs-wasm"],
          registeredAt: now
        }
      ]
    },
    {
      stream: `dataset-digits${run}`,
      events: [
        {
          _tag: "DatasetRegistered",
          datasetId: `digits${run}` as DatasetId,
          name: "UCI optical digits (CC BY 4.0)",
          contentHash: `0x${randomBytes(32).toString("hex")}` as Hash32,
          licence: "CC-BY-4.0",
          sampleCount: 5620,
          split: "training",
          featureCount: 64,
          classCount: 10,
          shards: [],
          registeredBy: owner,
          registeredAt: now
        }
      ]
    },
    {
      stream: `ledger-T${run}`,
      events: [{ _tag: "BudgetEscrowed", taskId: `T${run}` as TaskId, owner, amount: 1_000_000_000n, escrowedAt: now }]
    }
  ]
  for (const [i, a] of appends.entries()) {
    const r = await Effect.runPromise(
      store.append({ stream: a.stream, expectedRevision: "no_stream", events: a.events, commandId: `demo-${run}-${i}` })
    )
    console.log(`[demo] appended ${a.events.map((e) => e._tag).join(",")} to ${a.stream} at global position ${r.globalPosition}`)
  }
  const health = (await (await fetch(`${apiUrl}/health`)).json()) as { headPosition: number }
  const verify = (await (await fetch(`${apiUrl}/events/verify`)).json()) as { ok: boolean; verified: number; tip?: { hash: string } }
  console.log(`[demo] log head ${health.headPosition}; hash chain ${verify.ok ? "verified" : "BROKEN"} over ${verify.verified} events, tip ${verify.tip?.hash}`)
  if (!verify.ok) throw new Error("hash chain verification failed")
}
