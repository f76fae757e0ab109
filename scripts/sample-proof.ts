import { proofPayload } from "../commands/samples"

/**
 * `npx tsx scripts/sample-proof.ts <baseWeightsHash> <weightsHash> <shardId> <shardHash>`: a made-up
 * training proof (64 steps, a commitment of 17 checkpoint states with its
 * Merkle root) for the README's curl walkthrough. Real trainers commit the
 * states they trained (nodes/trainer/train.ts).
 */
const [base, weights, shardId, shardHash] = process.argv.slice(2)
const hash = /^0x[0-9a-f]{64}$/
if (!base || !weights || !shardId || !shardHash || !hash.test(base) || !hash.test(weights) || !hash.test(shardHash)) {
  console.error("usage: sample-proof.ts <baseWeightsHash> <weightsHash> <shardId> <shardHash> (hashes: 0x + 64 lowercase hex)")
  process.exit(2)
}
console.log(JSON.stringify(proofPayload(base, "", { weightsHash: weights, shardIds: [shardId], shardHashes: [shardHash] })))
