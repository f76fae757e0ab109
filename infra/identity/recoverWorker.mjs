// Worker thread for secp256k1 public-key recovery (see recoverPool.ts).
// Plain JS on purpose: it runs the same way under node, tsx and vitest. The
// Ethereum conventions (r‖s‖v with v = 27|28, keccak256 digest without
// prehash, address = last 20 bytes of keccak256(uncompressed key)) are those
// of signature.ts; tests/unit/identity.spec.ts checks both agree.
import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"
import * as secp from "@noble/secp256k1"
import { parentPort, workerData } from "node:worker_threads"
import { createRequire } from "node:module"

// The engine the pool asked for (recoverPool.ts): libsecp256k1's binding (as
// nativeSecp256k1.ts loads it), or noble where it cannot load.
const native = (() => {
  if (workerData?.engine !== "native") return undefined
  try {
    return createRequire(import.meta.url)("secp256k1/bindings")
  } catch {
    return undefined
  }
})()

const recover = (digest, signature) => {
  const hex = signature.startsWith("0x") ? signature.slice(2) : signature
  if (!/^[0-9a-f]{130}$/.test(hex)) return null
  const v = parseInt(hex.slice(128), 16)
  if (v !== 27 && v !== 28) return null
  // Low-s only, as signature.ts (EIP-2).
  if (BigInt(`0x${hex.slice(64, 128)}`) > 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n) return null
  try {
    const recovered = new Uint8Array(65)
    recovered[0] = v - 27
    recovered.set(hexToBytes(hex.slice(0, 128)), 1)
    const uncompressed = native
      ? native.ecdsaRecover(recovered.subarray(1), v - 27, hexToBytes(digest.slice(2)), false)
      : secp.Point.fromBytes(secp.recoverPublicKey(recovered, hexToBytes(digest.slice(2)), { prehash: false })).toBytes(false)
    return `0x${bytesToHex(keccak_256(uncompressed.slice(1))).slice(-40)}`
  } catch {
    return null
  }
}

// A batch of recoveries (those asked for in one turn of the main thread's event loop), answered together.
parentPort.on("message", (batch) => parentPort.postMessage(batch.map(({ id, digest, signature }) => ({ id, address: recover(digest, signature) }))))
