import { connect } from "@nats-io/transport-node"
import { Effect } from "effect"
import { startBridge, type AnchorRecord } from "../chain-bridge/bridge"
import { chainClient, deployEventAnchor } from "../chain-bridge/ChainClient"
import { DEV_PRIVATE_KEYS, startLocalChain } from "../chain-bridge/localChain"
import { buildTree, leafOf, proofFor } from "../chain-bridge/anchor"
import type { DomainEvent } from "../domain/events"
import type { Address, TaskId } from "../domain/primitives"
import { toEventStore } from "../infra/eventStore/backend"
import { defaultJetStreamConfig, JetStreamLog } from "../infra/eventStore/jetStream"
import { jetstreamManager } from "@nats-io/jetstream"
import { round, type BenchResult } from "./stats"

/**
 * Anchoring cost on a real EVM (EDR) from a real JetStream log: gas per
 * event at batch sizes 64 / 1024 / 4096 (one transaction per batch, so the
 * per-event cost falls with the batch), the bridge's anchor latency (cut →
 * root → receipt → BatchAnchored appended), and the inclusion proof's size.
 */
export const chainBench = async (url: string, sizes: ReadonlyArray<number> = [64, 1024, 4096]): Promise<Array<BenchResult>> => {
  const results: Array<BenchResult> = []
  const nc = await connect({ servers: url })
  for (const size of sizes) {
    const config = { ...defaultJetStreamConfig, streamName: `BENCH_CHAIN_${size}`, subjectPrefix: `benchchain${size}.events` }
    const store = toEventStore(await JetStreamLog.open(nc, config))
    const event = (i: number): DomainEvent => ({
      _tag: "BudgetEscrowed",
      taskId: `T${i}` as TaskId,
      owner: `0x${"ab".repeat(20)}` as Address,
      amount: BigInt(i),
      escrowedAt: "2026-11-24T10:00:00.000Z"
    })
    const chain = await startLocalChain()
    const connection = { chainId: chain.chainId, rpc: chain.request, privateKey: DEV_PRIVATE_KEYS[0] }
    const client = chainClient(connection, await deployEventAnchor(connection))
    // Warm-up: one anchor first, so the measured one pays steady-state storage costs (warm slots).
    await Effect.runPromise(store.append({ stream: "ledger-warmup", expectedRevision: "no_stream", events: [event(0)], commandId: "warmup" }))
    // The bench measures anchoring, not the API: anchors are recorded straight into its own log.
    const record = async (a: AnchorRecord) => {
      await Effect.runPromise(
        store.append({ stream: `anchor-${a.chainId}`, expectedRevision: "any", commandId: `anchor-${a.index}`, events: [{ _tag: "BatchAnchored", ...a, contract: a.contract as Address, anchoredAt: new Date().toISOString() }] })
      )
    }
    const bridge = await startBridge({ store, chain: client, record, batchSize: size * 10, maxWaitMs: 600_000 })
    await bridge.flushNow()
    let next = 0
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        while (next < size) {
          const i = next++
          await Effect.runPromise(store.append({ stream: `ledger-B${i}`, expectedRevision: "no_stream", events: [event(i)], commandId: `b${i}` }))
        }
      })
    )
    await bridge.flushNow()
    const anchored = bridge.anchored[1]!
    await bridge.stop()
    const leaves = Array.from({ length: size }, (_, i) => leafOf(i + 1, `0x${(i + 1).toString(16).padStart(64, "0")}`))
    const proofLength = proofFor(buildTree(leaves), Math.floor(size / 2)).length
    results.push({
      name: `chain.anchor.batch${size}`,
      value: round(Number(anchored.gasUsed) / size, 1),
      unit: "gas/event",
      details: {
        gasPerAnchor: Number(anchored.gasUsed),
        eventsInBatch: anchored.toSeq - anchored.fromSeq + 1,
        anchorLatencyMs: round(anchored.latencyMs, 1),
        proofSiblings: proofLength,
        proofBytes: proofLength * 32
      }
    })
    await (await jetstreamManager(nc)).streams.delete(config.streamName)
  }
  await nc.close()
  return results
}
