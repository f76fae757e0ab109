import { HashSet, Result } from "effect"
import type { Decider } from "../decider"
import type { AnchorCommand, RecordAnchor } from "./commands"
import { AnchorAlreadyRecorded, AnchorMismatch, AnchorNotOnChain, NotBridgeKey, type AnchorError } from "./errors"
import type { AnchorEvent } from "./events"

/**
 * The anchors a chain's stream (`anchor-<chainId>`) has recorded, by
 * `<contract>:<index>:<root>`. A persistent set (structure shared between
 * states): the stream gains an anchor every batch for as long as the bridge
 * runs, and copying a plain Set per anchor made its fold quadratic (20,000
 * anchors: 21 s for the first command after a restart, measured).
 */
export type AnchorState = HashSet.HashSet<string>

const key = (a: { contract: string; index: number; root: string }) => `${a.contract.toLowerCase()}:${a.index}:${a.root}`

/**
 * Record an anchor in the log only as the chain has it: the claim must equal
 * the contract's anchor at that index (root, range, transaction, block). The
 * bridge cannot write the log itself; a bridge key that lies is refused.
 */
export const recordAnchor = (c: RecordAnchor, state: AnchorState): Result.Result<ReadonlyArray<AnchorEvent>, AnchorError> => {
  if (!c.actorIsBridge) return Result.fail(new NotBridgeKey({ signer: c.actor }))
  if (!c.onChain) return Result.fail(new AnchorNotOnChain({ index: c.index, contract: c.contract }))
  const differing = (["root", "fromPosition", "toPosition", "txHash", "blockNumber"] as const).filter((f) => c.onChain![f] !== c[f])
  if (differing.length > 0) return Result.fail(new AnchorMismatch({ index: c.index, reason: `differs from the chain in ${differing.join(", ")}` }))
  if (HashSet.has(state, key(c))) return Result.fail(new AnchorAlreadyRecorded({ index: c.index, root: c.root }))
  return Result.succeed([
    {
      _tag: "BatchAnchored",
      chainId: c.chainId,
      contract: c.contract,
      index: c.index,
      fromPosition: c.fromPosition,
      toPosition: c.toPosition,
      eventCount: c.eventCount,
      root: c.root,
      txHash: c.txHash,
      blockNumber: c.blockNumber,
      anchoredAt: c.at
    }
  ])
}

export const anchor: Decider<AnchorCommand, AnchorEvent, AnchorState, AnchorError> = {
  decide: recordAnchor,
  evolve: (state, event) => HashSet.add(state, key(event)),
  initialState: HashSet.empty()
}
