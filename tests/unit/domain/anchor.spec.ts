import { HashSet } from "effect"
import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import { anchor } from "../../../domain/anchor/decide"
import { RecordAnchor } from "../../../domain/anchor/commands"
import type { AnchorEvent } from "../../../domain/anchor/events"
import { deciderSpec } from "../../support/deciderSpec"
import { hash32 } from "../../support/events"
import { T0, owner, stranger } from "../../support/fixtures"

const spec = deciderSpec(anchor)
const contract = `0x${"c0".repeat(20)}` as never
const onChain = (index: number) => ({ index, root: hash32(1000 + index), fromPosition: index * 10 + 1, toPosition: index * 10 + 10, txHash: hash32(5000 + index), blockNumber: 100 + index })
const record = (index: number, extra: Partial<ConstructorParameters<typeof RecordAnchor>[0]> = {}) =>
  new RecordAnchor({ chainId: 31337, contract, ...onChain(index), eventCount: 10, onChain: onChain(index), actorIsBridge: true, actor: owner, at: T0, ...extra })
const anchored = (index: number): AnchorEvent => ({ _tag: "BatchAnchored", chainId: 31337, contract, ...onChain(index), eventCount: 10, anchoredAt: T0 })

describe("Anchor: RecordAnchor", () => {
  it("records an anchor exactly as the chain holds it", () => spec.given([]).when(record(0)).then([anchored(0)]))
  it("only from a bridge key", () => spec.given([]).when(record(0, { actorIsBridge: false, actor: stranger })).thenFails("NotBridgeKey"))
  it("only when the chain has it", () => spec.given([]).when(record(0, { onChain: undefined })).thenFails("AnchorNotOnChain"))
  it("only as the chain has it", () => spec.given([]).when(record(0, { root: hash32(9) })).thenFails("AnchorMismatch"))
  it("once, however long the stream (a persistent set; each anchor used to copy every earlier one)", () => {
    const history = Array.from({ length: 600 }, (_, i) => anchored(i))
    spec.given(history).when(record(3)).thenFails("AnchorAlreadyRecorded", { index: 3 })
    spec.given(history).when(record(599)).thenFails("AnchorAlreadyRecorded", { index: 599 })
    spec.given(history).when(record(600)).then([anchored(600)])
    // A state folded earlier is not changed by folding on from it.
    const before = fold(anchor, history.slice(0, 10))
    let after = before
    for (const e of history.slice(10)) after = anchor.evolve(after, e)
    expect([HashSet.size(before), HashSet.size(after)]).toEqual([10, 600])
  })
})
