// The anchor proof check, in the browser: the same algorithm as chain-bridge/anchor.ts
// (OpenZeppelin MerkleProof, pairs hashed in sorted order), on @noble/hashes' keccak-256.
import { keccak_256 } from "/ui/vendor/noble-hashes/sha3.js"

const hexToBytes = (hex) => Uint8Array.from(hex.slice(2).match(/../g).map((b) => parseInt(b, 16)))
const bytesToHex = (bytes) => `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`
const concat = (a, b) => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** keccak256(keccak256(abi.encode(uint64 globalPosition, bytes32 eventHash))) */
export const leafOf = (globalPosition, eventHash) => {
  const word = new Uint8Array(32)
  let n = BigInt(globalPosition)
  for (let i = 31; i >= 0 && n > 0n; i--, n >>= 8n) word[i] = Number(n & 0xffn)
  return bytesToHex(keccak_256(keccak_256(concat(word, hexToBytes(eventHash)))))
}

export const hashPair = (a, b) => (a.toLowerCase() < b.toLowerCase() ? bytesToHex(keccak_256(concat(hexToBytes(a), hexToBytes(b)))) : bytesToHex(keccak_256(concat(hexToBytes(b), hexToBytes(a)))))

/** Fold the siblings from the leaf up; the result must be the anchored root. */
export const processProof = (proof, leaf) => proof.reduce((acc, sibling) => hashPair(acc, sibling), leaf)
