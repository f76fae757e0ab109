import { keccak256, toBytes, type Address, type Hex } from "viem"
import { privateKeyToAccount } from "viem/accounts"
import { DEV_PRIVATE_KEYS, startLocalChain } from "../chain-bridge/localChain"
import { settlementTree } from "../chain-bridge/settlement/claimsTree"
import { deployNetworkContracts, escrowClient } from "../chain-bridge/settlement/contracts"
import { OpKind, registryClient, type RegistryOp } from "../chain-bridge/settlement/registry"
import type { Claim } from "../domain/escrow/events"
import { round, type BenchResult } from "./stats"

/**
 * Gas of on-chain settlement on a real EVM (EDR), each figure beside a raw
 * baseline from the same chain: an ERC-20 transfer (what paying one payee
 * directly would cost). Posting a task's settlement is one `settle` whatever
 * the number of payees (one root); each payee's claim grows with log2 of
 * them (its proof). Model Objects are mirrored in batches: gas per version
 * at batch sizes 1 / 16 / 64.
 */
export const settlementBench = async (payeeCounts: ReadonlyArray<number> = [8, 64, 512], batches: ReadonlyArray<number> = [1, 16, 64]): Promise<Array<BenchResult>> => {
  const chain = await startLocalChain()
  const connection = (privateKey: Hex) => ({ chainId: chain.chainId, rpc: chain.request, privateKey })
  const treasuryKey = DEV_PRIVATE_KEYS[1]
  const contracts = await deployNetworkContracts(connection(DEV_PRIVATE_KEYS[0]), { holder: privateKeyToAccount(treasuryKey).address, supply: 10n ** 30n })
  const treasury = escrowClient(connection(treasuryKey), contracts)
  const settler = escrowClient(connection(DEV_PRIVATE_KEYS[0]), contracts)
  const registry = registryClient(connection(DEV_PRIVATE_KEYS[0]), contracts.registry)
  const payee = (i: number) => `0x${(0x1000 + i).toString(16).padStart(40, "0")}` as Address
  // Baseline: a plain transfer to a fresh address (a cold recipient, as every payee of a claim is).
  const transfer = await treasury.transfer(payee(999_999), 1n)
  const baseline = { name: "erc20.transfer", value: Number(transfer.gasUsed) }
  const results: Array<BenchResult> = []

  // A permit sets the allowance to its value: deposit with one first, then approve the rest.
  const permit = await treasury.depositWithPermit("task:permit", 10n ** 6n)
  await treasury.approve(10n ** 29n)
  const deposit = await treasury.deposit("task:warmup", 10n ** 20n)
  results.push({ name: "settlement.deposit", value: Number(deposit.gasUsed), unit: "gas", baseline, ratio: round(Number(deposit.gasUsed) / baseline.value, 2), details: { withPermitGas: Number(permit.gasUsed) } })

  for (const n of payeeCounts) {
    const taskId = `B${n}`
    const claims: Array<Claim> = Array.from({ length: n }, (_, i) => ({ payee: payee(i) as never, amount: BigInt(1_000 + i) }))
    const total = claims.reduce((s, c) => s + c.amount, 0n)
    await treasury.deposit(`task:${taskId}`, total)
    const owed = { settlement: `settle:task:${taskId}`, claims }
    const tree = settlementTree(owed)
    const settled = await settler.settle(tree.settlementId, tree.root, total, 0n, [{ account: `task:${taskId}`, amount: total }])
    // Claims: the first pays a cold `claimed` slot and the payee's cold balance, like every claim.
    const sample = [0, Math.floor(n / 2), n - 1]
    const gas: Array<number> = []
    for (const i of sample) {
      const proof = tree.proofOf(claims[i]!.payee)!
      gas.push(Number((await treasury.claim(tree.settlementId, claims[i]!.payee as Address, proof.amount, proof.proof)).gasUsed))
    }
    const claimGas = round(gas.reduce((s, g) => s + g, 0) / gas.length, 0)
    results.push({
      name: `settlement.settle.payees${n}`,
      value: Number(settled.gasUsed),
      unit: "gas",
      baseline: { name: `erc20.transfer × ${n}`, value: baseline.value * n },
      ratio: round(Number(settled.gasUsed) / (baseline.value * n), 3),
      details: { debits: 1, perPayeeGas: round(Number(settled.gasUsed) / n, 1) }
    })
    results.push({
      name: `settlement.claim.payees${n}`,
      value: claimGas,
      unit: "gas",
      baseline,
      ratio: round(claimGas / baseline.value, 2),
      details: { proofSiblings: tree.proofOf(claims[0]!.payee)!.proof.length, settlePlusAllClaimsVsTransfers: round((Number(settled.gasUsed) + claimGas * n) / (baseline.value * n), 2) }
    })
  }

  // Model Objects: one model registered, then versions mirrored in batches.
  let position = (await registry.lastPosition()) + 1
  const op = (kind: number, version = 0): RegistryOp => ({
    kind,
    modelId: "M-1",
    owner: payee(1),
    parentModel: "",
    version,
    parentVersion: version > 1 ? version - 1 : 0,
    weightsHash: keccak256(toBytes(`w${version}`)),
    taskId: keccak256(toBytes("T1")),
    metricsDigest: keccak256(toBytes(`m${version}`)),
    position: BigInt(position)
  })
  await registry.mirror(position, position, [op(OpKind.Register)])
  position++
  let version = 1
  for (const size of batches) {
    const ops = Array.from({ length: size }, () => op(OpKind.Version, version++))
    const mirrored = await registry.mirror(position, position + size - 1, ops)
    position += size
    const perVersion = round(Number(mirrored.gasUsed) / size, 0)
    results.push({ name: `registry.version.batch${size}`, value: perVersion, unit: "gas/version", baseline, ratio: round(perVersion / baseline.value, 2), details: { gasPerBatch: Number(mirrored.gasUsed), versionsInBatch: size } })
  }
  return results
}
