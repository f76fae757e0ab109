import { Effect, Schema, Stream } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { Hex } from "viem"
import { buildTree, leafOf, proofFor, rootOf } from "../../chain-bridge/anchor"
import { EventStore } from "../../domain/ports"
import { RecordedEvent } from "../../domain/recordedEvent"
import { InvalidRequest } from "../apiErrors"
import { ResultNotFound } from "../../domain/task/errors"
import { runForRequest, type ApiRuntime } from "../runtime"
import { foldAggregate, type AggregateFold } from "../aggregateFolds"
import { history } from "../facts"

export class NotAnchoredYet extends Schema.TaggedError<NotAnchoredYet>()("NotAnchoredYet", { globalPosition: Schema.Number }) {}
export class EventNotFound extends Schema.TaggedError<EventNotFound>()("EventNotFound", {
  globalPosition: Schema.Number,
  indexInCommit: Schema.Number
}) {}

const encode = Schema.encodeSync(RecordedEvent)

/** The anchor aggregate's events in log order, read on from where the last proof request stopped. */
const anchorEvents: AggregateFold<Array<RecordedEvent["data"]>> = {
  name: "proofs:anchors",
  aggregate: "anchor",
  initial: () => [],
  resume: (held) => [...held],
  apply: (anchors, e) => void anchors.push(e.data)
}

/**
 * Inclusion proofs of events, each in the latest anchored batch covering it
 * (a reset chain re-anchors ranges). The anchors are read once, and each
 * batch's events and tree once, however many of the events fall in it.
 */
export const proveEvents = (wanted: ReadonlyArray<{ readonly globalPosition: number; readonly indexInCommit: number }>) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const anchors = yield* foldAggregate(anchorEvents)
    const trees = new Map<object, { readonly events: ReadonlyArray<RecordedEvent>; readonly layers: ReturnType<typeof buildTree> }>()
    const proofs = []
    for (const { globalPosition: position, indexInCommit: index } of wanted) {
      const batch = anchors.findLast((d) => d._tag === "BatchAnchored" && d.fromPosition <= position && position <= d.toPosition)
      if (!batch || batch._tag !== "BatchAnchored") return yield* Effect.fail(new NotAnchoredYet({ globalPosition: position }))
      let tree = trees.get(batch)
      if (!tree) {
        const events = [...(yield* Stream.runCollect(store.readAll({ fromPosition: batch.fromPosition }).pipe(Stream.takeWhile((e) => e.globalPosition <= batch.toPosition))))]
        tree = { events, layers: buildTree(events.map((e) => leafOf(e.globalPosition, e.hash as Hex))) }
        trees.set(batch, tree)
      }
      const { events, layers } = tree
      const leafIndex = events.findIndex((e) => e.globalPosition === position && e.indexInCommit === index)
      if (leafIndex < 0) return yield* Effect.fail(new EventNotFound({ globalPosition: position, indexInCommit: index }))
      const event = events[leafIndex]!
      proofs.push({
        event: encode(event),
        eventHash: event.hash,
        leaf: layers[0]![leafIndex]!,
        proof: proofFor(layers, leafIndex),
        root: rootOf(layers),
        leafEncoding: "keccak256(keccak256(abi.encode(uint64 globalPosition, bytes32 eventHash)))",
        anchor: {
          chainId: batch.chainId,
          contract: batch.contract,
          index: batch.index,
          fromPosition: batch.fromPosition,
          toPosition: batch.toPosition,
          txHash: batch.txHash,
          blockNumber: batch.blockNumber
        }
      })
    }
    return proofs
  })

/** A derived result id is `<task>-r<round>-s<slot>-<node>`: its task's stream holds the result's events. */
const resultEvents = (resultId: string) =>
  Effect.gen(function* () {
    for (const match of resultId.matchAll(/-r\d+-s\d+-/g)) {
      const taskId = resultId.slice(0, match.index)
      const events = yield* history(`task-${taskId}`)
      const mine = events.filter((e) => (e.data as { resultId?: string }).resultId === resultId)
      if (mine.length > 0) return { taskId, events: mine }
    }
    return yield* Effect.fail(new ResultNotFound({ resultId }))
  })

/**
 * `GET /events/:position/proof?index=<indexInCommit>`: the Merkle inclusion
 * proof of one event in the anchored batch that covers it. A third party
 * checks it with viem alone: recompute the leaf from (globalPosition,
 * eventHash), fold the proof with sorted-pair keccak256, compare with the
 * root stored by EventAnchor (`anchorAt(index)`), or call `verify(index,
 * proof, leaf)` on-chain. The event's own hash is keccak256 of its
 * canonical (sorted-key) JSON without `hash`.
 */
export const proofRoutes: FastifyPluginAsync<{ runtime: ApiRuntime }> = async (app, { runtime }) => {
  app.get<{ Params: { position: string }; Querystring: { index?: string } }>("/events/:position/proof", async (request) => {
    const position = Number(request.params.position)
    const index = request.query.index === undefined ? 0 : Number(request.query.index)
    if (!Number.isSafeInteger(position) || position < 1) throw new InvalidRequest({ detail: "position must be an integer >= 1" })
    if (!Number.isSafeInteger(index) || index < 0) throw new InvalidRequest({ detail: "index must be an integer >= 0" })
    return runForRequest(runtime, Effect.map(proveEvents([{ globalPosition: position, indexInCommit: index }]), ([proof]) => proof!))
  })
  /**
   * The Parameter Tracker's proof of one result: every event of it (the
   * trainer's signed submission with its claimed metrics, each judge's
   * signed commitment and reveal, the verdict with the consensus metrics,
   * rewards, finality), each with the signed command it came from and its
   * inclusion proof against the anchored root on chain. `neura verify-result`
   * checks all of it against the chain.
   */
  app.get<{ Params: { resultId: string } }>("/results/:resultId/proof", async (request) =>
    runForRequest(
      runtime,
      Effect.gen(function* () {
        const { taskId, events } = yield* resultEvents(request.params.resultId)
        const proven = yield* proveEvents(events)
        const submitted = events.find((e) => e.data._tag === "ResultSubmitted")?.data as { nodeId: string; proof: { metrics: unknown } } | undefined
        const verdict = events.find((e) => e.data._tag === "ResultVerified" || e.data._tag === "ResultRejected")?.data as { _tag: string; consensusMetrics?: unknown } | undefined
        return {
          resultId: request.params.resultId,
          taskId,
          trainer: submitted?.nodeId,
          claimedMetrics: submitted?.proof.metrics,
          verdict: verdict?._tag,
          consensusMetrics: verdict?.consensusMetrics,
          signers: [...new Set(events.map((e) => e.metadata.actor).filter((a) => a !== undefined))],
          events: proven
        }
      })
    )
  )
}
