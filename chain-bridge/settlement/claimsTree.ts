import { encodeAbiParameters, keccak256, toBytes, type Hex } from "viem"
import type { Owed } from "../../domain/escrow/settlement"
import { buildTree, processProof, proofFor, rootOf } from "../anchor"

/**
 * A settlement's Merkle tree: one leaf per payee, in the claims' order
 * (sorted by address), hashed as NeuraEscrow.leaf does:
 * keccak256(keccak256(abi.encode(settlementId, payee, amount))). The same
 * sorted-pair tree as the log's anchors (chain-bridge/anchor.ts).
 */
export const settlementIdOf = (settlement: string): Hex => keccak256(toBytes(settlement))
export const accountIdOf = (account: string): Hex => keccak256(toBytes(account))

export const claimLeaf = (settlementId: Hex, payee: string, amount: bigint): Hex =>
  keccak256(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "uint256" }], [settlementId, payee as Hex, amount])))

export interface SettlementTree {
  readonly settlementId: Hex
  readonly root: Hex
  readonly proofOf: (payee: string) => { readonly amount: bigint; readonly proof: ReadonlyArray<Hex> } | undefined
}

/** A settlement with nobody to pay still posts a root (of no claim): the zero leaf's hash. */
export const settlementTree = (owed: Pick<Owed, "settlement" | "claims">): SettlementTree => {
  const settlementId = settlementIdOf(owed.settlement)
  const leaves = owed.claims.map((c) => claimLeaf(settlementId, c.payee, c.amount))
  const layers = buildTree(leaves.length > 0 ? leaves : [keccak256("0x")])
  return {
    settlementId,
    root: rootOf(layers),
    proofOf: (payee) => {
      const i = owed.claims.findIndex((c) => c.payee.toLowerCase() === payee.toLowerCase())
      return i < 0 ? undefined : { amount: owed.claims[i]!.amount, proof: proofFor(layers, i) }
    }
  }
}

export const verifyClaim = (root: Hex, settlementId: Hex, payee: string, amount: bigint, proof: ReadonlyArray<Hex>) =>
  processProof(proof, claimLeaf(settlementId, payee, amount)) === root
