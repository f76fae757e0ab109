import { concat, encodeAbiParameters, keccak256, type Hex } from "viem"

/**
 * The one Merkle algorithm of the system, used by the bridge (roots), the
 * audit (recomputed roots) and the proof endpoint, and checkable on-chain by
 * EventAnchor.verify (OpenZeppelin MerkleProof: pairs hashed in sorted order).
 *
 * Leaf = keccak256(keccak256(abi.encode(uint64 globalPosition, bytes32 eventHash))).
 * The inner encoding binds an event to its place in the log; the second hash
 * separates leaves from inner nodes (both are 64 bytes of input otherwise), as
 * OpenZeppelin's StandardMerkleTree does.
 */
export const leafOf = (globalPosition: number, eventHash: Hex): Hex =>
  keccak256(keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "bytes32" }], [BigInt(globalPosition), eventHash])))

export const hashPair = (a: Hex, b: Hex): Hex => (a.toLowerCase() < b.toLowerCase() ? keccak256(concat([a, b])) : keccak256(concat([b, a])))

/** Layers from leaves up to the root; an odd node out is carried up unchanged. */
export const buildTree = (leaves: ReadonlyArray<Hex>): ReadonlyArray<ReadonlyArray<Hex>> => {
  if (leaves.length === 0) throw new Error("a Merkle tree needs at least one leaf")
  const layers: Array<ReadonlyArray<Hex>> = [leaves]
  while (layers[layers.length - 1]!.length > 1) {
    const below = layers[layers.length - 1]!
    const above: Array<Hex> = []
    for (let i = 0; i < below.length; i += 2) above.push(i + 1 < below.length ? hashPair(below[i]!, below[i + 1]!) : below[i]!)
    layers.push(above)
  }
  return layers
}

export const rootOf = (layers: ReadonlyArray<ReadonlyArray<Hex>>): Hex => layers[layers.length - 1]![0]!

/** Siblings from the leaf up: all a verifier needs with sorted-pair hashing. */
export const proofFor = (layers: ReadonlyArray<ReadonlyArray<Hex>>, leafIndex: number): ReadonlyArray<Hex> => {
  const proof: Array<Hex> = []
  let index = leafIndex
  for (let level = 0; level < layers.length - 1; level++) {
    const layer = layers[level]!
    const sibling = index % 2 === 0 ? index + 1 : index - 1
    if (sibling < layer.length) proof.push(layer[sibling]!)
    index = Math.floor(index / 2)
  }
  return proof
}

export const processProof = (proof: ReadonlyArray<Hex>, leaf: Hex): Hex => proof.reduce<Hex>((acc, sibling) => hashPair(acc, sibling), leaf)

/** The root over a range of events, in global order (as the bridge anchors it). */
export const rootOfEvents = (events: ReadonlyArray<{ readonly globalPosition: number; readonly hash: string }>): Hex =>
  rootOf(buildTree(events.map((e) => leafOf(e.globalPosition, e.hash as Hex))))
