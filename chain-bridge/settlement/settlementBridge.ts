import { Effect, Fiber, Stream } from "effect"
import type { Hex } from "viem"
import type { EventStore } from "../../domain/ports"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { owedBy, scoringSettlementName, sourceStreamOf, taskSettlementName, withdrawalSettlementName } from "../../domain/escrow/settlement"
import { readWholeLog } from "../../infra/eventStore/wholeLog"
import { AnchorRejected, describeError } from "../ChainClient"
import { describeGaps } from "../bridge"
import { settlementTree } from "./claimsTree"
import type { EscrowClient, OnChainDeposit } from "./contracts"
import { REGISTRY_EVENTS, registryOps, type RegistryClient } from "./registry"

/**
 * The settlement half of the chain bridge. Three duties, each restart-safe
 * because the chain is the truth about what it already did:
 * - deposits: every `Deposited` log of the escrow is offered to the log
 *   (`RecordDeposit`, checked by the API against the chain; a repeat is a no-op);
 * - settlements: when a task has ended with nothing held, or a node withdrew
 *   stake, what the log owes is posted as one Merkle root (`settle`), then
 *   recorded (`RecordSettlement`); an id the contract already holds is only recorded;
 * - Model Objects: the model events of each contiguous range of the log are
 *   mirrored into the ModelRegistry, which keeps the last position it applied.
 */
export interface SettlementRecorder {
  readonly deposit: (d: OnChainDeposit & { readonly chainId: number; readonly contract: string }) => Promise<void>
  readonly settlement: (s: { readonly chainId: number; readonly contract: string; readonly settlement: string; readonly root: Hex; readonly total: bigint; readonly burned: bigint; readonly txHash: Hex; readonly blockNumber: number }) => Promise<void>
}

export interface SettlementBridgeOptions {
  readonly store: EventStore["Service"]
  readonly escrow: EscrowClient
  readonly registry?: RegistryClient
  readonly record: SettlementRecorder
  /** Block to look for deposits from (the deployment's). */
  readonly fromBlock?: number
  readonly pollMs?: number
  /** Longest wait before a range with model events is mirrored (ms). */
  readonly mirrorWaitMs?: number
  readonly log?: (line: string) => void
}

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)

export const startSettlementBridge = async (o: SettlementBridgeOptions) => {
  const log = o.log ?? (() => undefined)
  const pollMs = o.pollMs ?? 500

  // Deposits: offered until the log has them (the API refuses a repeat with DepositAlreadyRecorded, which the recorder swallows).
  // Logs are read from the block of the newest deposit already recorded (that block again: it may hold more).
  const offered = new Set<string>()
  let scanFrom = BigInt(o.fromBlock ?? 0)
  const pollDeposits = async () => {
    for (const d of await o.escrow.deposits(scanFrom)) {
      const key = `${d.txHash}:${d.logIndex}`
      if (offered.has(key)) continue
      await o.record.deposit({ ...d, chainId: o.escrow.chainId, contract: o.escrow.escrow.toLowerCase() })
      offered.add(key)
      scanFrom = BigInt(d.blockNumber)
      log(`deposit of ${d.amount} into ${d.account} by ${d.depositor} recorded`)
    }
  }

  // Settlements: a queue of names to (re)consider; each is settled at most once on chain.
  // Names to look at, each with how many events asked for it: an event that arrives while its
  // name is being read bumps the count, so the (stale) read cannot drop it (no lost wake-up).
  const pending = new Map<string, number>()
  const wake = (name: string) => pending.set(name, (pending.get(name) ?? 0) + 1)
  const drop = (name: string, seen: number) => {
    if (pending.get(name) === seen) pending.delete(name)
  }
  const done = new Set<string>()
  const withdrawals = new Map<string, number>()
  const consider = (e: RecordedEvent) => {
    const d = e.data as { _tag: string; nodeId?: string }
    if (e.stream.startsWith("task-") && ["TaskCompleted", "TaskExhausted", "ResultFinalized", "RewardForfeited", "BudgetRefunded"].includes(d._tag)) {
      wake(taskSettlementName(e.stream.slice("task-".length)))
    }
    if (e.stream.startsWith("scoring-") && (d._tag === "ModelVersionScored" || d._tag === "ScoringFailed")) {
      wake(scoringSettlementName(e.stream.slice("scoring-".length)))
    }
    if (d._tag === "StakeWithdrawn") {
      // The n-th withdrawal of the node, in its stream's (and so the log's) order.
      const n = (withdrawals.get(d.nodeId!) ?? 0) + 1
      withdrawals.set(d.nodeId!, n)
      wake(withdrawalSettlementName(d.nodeId!, n))
    }
  }
  const owedOf = async (settlement: string) => {
    const stream = sourceStreamOf(settlement)!
    const events = await run(o.store.readStream(stream).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as ReadonlyArray<RecordedEvent>))))
    return owedBy(settlement, events.map((e) => e.data))
  }
  const settlePending = async () => {
    for (const [key, seen] of [...pending]) {
      const owed = await owedOf(key)
      if ("notReady" in owed) {
        drop(key, seen)
        continue
      }
      if (done.has(owed.settlement)) {
        drop(key, seen)
        continue
      }
      const tree = settlementTree(owed)
      let onChain = await o.escrow.settlementOf(tree.settlementId)
      if (!onChain) {
        try {
          const receipt = await o.escrow.settle(tree.settlementId, tree.root, owed.total, owed.burned, owed.debits)
          log(`settled ${owed.settlement}: ${owed.claims.length} claims, ${owed.total} claimable, ${owed.burned} burned, ${receipt.gasUsed} gas`)
        } catch (e) {
          if (!(e instanceof AnchorRejected)) throw e
          // Not backed on chain (e.g. a task from before the escrow was enforced): nothing can be settled.
          log(`cannot settle ${owed.settlement}: ${e.reason}`)
          drop(key, seen)
          done.add(owed.settlement)
          continue
        }
        onChain = await o.escrow.settlementOf(tree.settlementId)
      }
      await o.record.settlement({
        chainId: o.escrow.chainId,
        contract: o.escrow.escrow.toLowerCase(),
        settlement: owed.settlement,
        root: onChain!.root,
        total: onChain!.total,
        burned: owed.burned,
        txHash: onChain!.txHash,
        blockNumber: onChain!.blockNumber
      })
      drop(key, seen)
      done.add(owed.settlement)
    }
  }

  // Model Objects: contiguous ranges after the registry's lastPosition.
  let mirroredThrough = o.registry ? await o.registry.lastPosition() : Number.MAX_SAFE_INTEGER
  let highest = 0
  let modelEventsWaiting = false
  let waitingSince = 0
  const mirror = async () => {
    if (!o.registry || !modelEventsWaiting || highest <= mirroredThrough) return
    if (Date.now() - waitingSince < (o.mirrorWaitMs ?? 200)) return
    const from = mirroredThrough + 1
    const to = highest
    // Cleared before reading: a model event that arrives meanwhile sets it again (no lost wake-up).
    modelEventsWaiting = false
    const { events, foreign } = await run(readWholeLog(o.store, { fromPosition: from, toPosition: to }))
    const gap = describeGaps(events, from, to, foreign.map((f) => f.globalPosition))
    if (gap) {
      modelEventsWaiting = true
      return log(`not mirroring [${from}..${to}] yet: ${gap}`)
    }
    const ops = registryOps(events)
    if (ops.length === 0) return
    try {
      // A failure below leaves the range to the next try.
      modelEventsWaiting = true
      const receipt = await o.registry.mirror(from, to, ops)
      modelEventsWaiting = highest > to && modelEventsWaiting
      mirroredThrough = to
      log(`mirrored ${ops.length} model facts of [${from}..${to}], ${receipt.gasUsed} gas`)
    } catch (e) {
      if (!(e instanceof AnchorRejected)) throw e
      mirroredThrough = await o.registry.lastPosition()
      modelEventsWaiting = true
      log(`mirror refused (${e.reason}); resuming after ${mirroredThrough}`)
    }
  }

  const fiber = Effect.runFork(
    Stream.runForEach(o.store.subscribe({ fromPosition: 1 }), (e) =>
      Effect.sync(() => {
        highest = Math.max(highest, e.globalPosition)
        consider(e)
        if (e.globalPosition > mirroredThrough && REGISTRY_EVENTS.has(e.data._tag) && !modelEventsWaiting) {
          modelEventsWaiting = true
          waitingSince = Date.now()
        }
      })
    )
  )
  let busy: Promise<void> | undefined
  const tick = () => {
    if (busy) return
    busy = (async () => {
      await pollDeposits()
      await settlePending()
      await mirror()
    })()
      .catch((e: unknown) => log(`settlement bridge step failed, will retry: ${describeError(e)}`))
      .finally(() => (busy = undefined))
  }
  const timer = setInterval(tick, pollMs)
  tick()
  return {
    get mirroredThrough() {
      return mirroredThrough
    },
    async stop() {
      clearInterval(timer)
      await Effect.runPromise(Fiber.interrupt(fiber))
      await busy
    }
  }
}
