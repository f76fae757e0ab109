import { Effect } from "effect"
import { ChainUnavailable, type ChainClient } from "../chain-bridge/ChainClient"
import type { OnChainAnchorFacts } from "../domain/anchor/commands"
import type { Hash32 } from "../domain/primitives"

/** A chain read as an Effect: anything it throws but a ChainUnavailable becomes one (facts for RecordAnchor, RecordDeposit, RecordSettlement). */
export const chainCall = <A>(f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (e) => (e instanceof ChainUnavailable ? e : new ChainUnavailable({ reason: e instanceof Error ? e.message : String(e) })) })

/**
 * Facts for RecordAnchor: what a configured EventAnchor contract holds at an
 * index, read from the chain (its `Anchored` logs, with transaction and block).
 * A chain or contract the API is not configured for cannot be checked: 503.
 */
export const anchorLookup =
  (chains: ReadonlyArray<Pick<ChainClient, "chainId" | "contract" | "anchors">>) =>
  (chainId: number, contract: string, index: number): Effect.Effect<typeof OnChainAnchorFacts.Type | undefined, ChainUnavailable> =>
    Effect.gen(function* () {
      const chain = chains.find((c) => c.chainId === chainId && c.contract.toLowerCase() === contract.toLowerCase())
      if (!chain) return yield* Effect.fail(new ChainUnavailable({ reason: `this API checks no EventAnchor ${contract} on chain ${chainId}` }))
      const anchors = yield* chainCall(() => chain.anchors())
      const a = anchors.find((x) => x.index === index)
      return a
        ? { index: a.index, root: a.root as Hash32, fromPosition: a.fromSeq, toPosition: a.toSeq, txHash: a.txHash as Hash32, blockNumber: a.blockNumber }
        : undefined
    })
