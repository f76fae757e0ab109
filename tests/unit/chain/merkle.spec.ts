import { describe, expect, it } from "vitest"
import { keccak256, toHex } from "viem"
import { buildTree, leafOf, processProof, proofFor, rootOf } from "../../../chain-bridge/anchor"
import { CONTRACTS, artifactPath, compileContract } from "../../../chain-bridge/scripts/compile"
import { readFileSync } from "node:fs"

describe("Merkle tree (bridge, audit and proofs share it)", () => {
  it("every leaf's proof folds back to the root, for odd and even sizes", () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33]) {
      const leaves = Array.from({ length: n }, (_, i) => leafOf(i + 1, keccak256(toHex(`event ${i}`))))
      const layers = buildTree(leaves)
      const root = rootOf(layers)
      for (let i = 0; i < n; i++) expect(processProof(proofFor(layers, i), leaves[i]!)).toBe(root)
      expect(proofFor(layers, 0).length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)))
    }
  })
  it("a changed leaf or a proof for another position does not verify", () => {
    const leaves = Array.from({ length: 6 }, (_, i) => leafOf(i + 1, keccak256(toHex(`event ${i}`))))
    const layers = buildTree(leaves)
    const root = rootOf(layers)
    expect(processProof(proofFor(layers, 2), leafOf(3, keccak256(toHex("forged"))))).not.toBe(root)
    // The same event hash claimed at another position is another leaf.
    expect(processProof(proofFor(layers, 2), leafOf(4, keccak256(toHex("event 2"))))).not.toBe(root)
  })
})

describe("contract artifacts", () => {
  it.each(CONTRACTS)("the committed %s artifact is what its source (with OpenZeppelin) compiles to", (name) => {
    expect(compileContract(name)).toBe(readFileSync(artifactPath(name), "utf8"))
  }, 60_000)
})

describe("bridge range check", () => {
  it("accepts only whole ranges: every position, every commit complete", async () => {
    const { describeGaps } = await import("../../../chain-bridge/bridge")
    const ev = (g: number, i: number, size: number) => ({ globalPosition: g, indexInCommit: i, commitSize: size }) as never
    expect(describeGaps([ev(5, 0, 1), ev(6, 0, 2), ev(6, 1, 2), ev(7, 0, 1)], 5, 7)).toBeUndefined()
    expect(describeGaps([ev(5, 0, 1), ev(6, 0, 2), ev(6, 1, 2)], 5, 7)).toMatch(/range ends at 7/)
    expect(describeGaps([ev(5, 0, 1), ev(6, 0, 2), ev(7, 0, 1)], 5, 7)).toMatch(/expected 6.1/)
    expect(describeGaps([ev(6, 0, 1), ev(7, 0, 1)], 5, 7)).toMatch(/expected 5.0/)
  })
})
