import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Address, Hex } from "viem"
import { metricsDigest, taskIdDigest } from "../../chain-bridge/settlement/registry"
import { failure } from "../support/apiFailure"
import { startNatsServer, type NatsServer } from "../support/natsServer"
import { honestNodes, jumpingClock, networkHarness } from "../support/networkHarness"
import { settlementChain, type SettlementTestChain } from "../support/settlementChain"
import { publishByDao } from "../support/workloadE2e"

/**
 * On-chain settlement end to end (real NATS, real TF.js, a real EVM): the
 * budget is deposited into NeuraEscrow with an EIP-2612 permit before the
 * task exists, nodes' stake before they bond it; the bridge records both.
 * When the task ends, one Merkle root settles it; every payee claims with
 * the API's proof and ends up holding exactly what the log allocated it; a
 * second claim and a forged amount revert. Model Objects on the registry
 * contract equal the models read model after a fork and a DAO vote.
 */
let server: NatsServer
let chain: SettlementTestChain
beforeAll(async () => {
  server = await startNatsServer()
  chain = await settlementChain()
}, 120_000)
afterAll(async () => {
  await server?.stop()
})

const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 120_000, context: () => string = () => ""): Promise<A> => {
  const end = Date.now() + timeoutMs
  for (;;) {
    const got = await f().catch(() => undefined)
    if (got !== undefined) return got
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${context()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe("on-chain settlement (NeuraToken, NeuraEscrow, ModelRegistry on EDR)", () => {
  it("budgets and stake are deposits; a finished task settles as one root; every payee claims exactly its allocation, once", async () => {
    const clock = jumpingClock()
    await using net = await networkHarness(server.url, honestNodes, [], { settlement: chain, protocol: { unbondingSeconds: 1, votingSeconds: 1 }, apiClock: clock.now })
    const client = net.api.client

    expect((await client.get("/settlement")).mode).toBe("chain")
    const { budget, modelId } = await net.createTask("SETTLE1", { target: 0.9, maxRounds: 2 })

    // The same task again under another id, nothing deposited for it: refused, whatever budget is declared (1e60 included).
    const created = (await client.get("/events?aggregate=task&limit=1000")).events.find((e: any) => e.stream === "task-SETTLE1" && e.type === "TaskCreated").data
    const again = {
      taskId: "UNBACKED",
      title: created.title,
      workload: created.workload,
      base: { modelId: created.base.modelId, version: created.base.version },
      datasets: { training: [...new Set(created.trainingShards.map((s: { datasetId: string }) => s.datasetId))], validation: created.validation.datasetId },
      objective: { metric: created.objective.metric, target: created.objective.target },
      training: created.training,
      criteria: created.criteria,
      rewardSplit: created.rewardSplit,
      budget: (10n ** 60n).toString()
    }
    const unbacked = await failure(client.command("CreateTask", again))
    expect(unbacked).toMatchObject({ status: 402, code: "NotDeposited", problem: { account: "task:UNBACKED", deposited: "0" } })
    // Stake the same: a node bonds only what was deposited into its stake account.
    const stranger = await failure(client.as(net.keyOf("trainerA")).command("BondStake", { nodeId: "trainerA", amount: "1" }))
    expect(stranger).toMatchObject({ status: 402, code: "NotDeposited", problem: { account: "stake:trainerA" } })
    const events = await net.waitForEnd("SETTLE1", 200_000)
    const expected = new Map<string, bigint>()
    const add = (address: string, amount: bigint) => expected.set(address.toLowerCase(), (expected.get(address.toLowerCase()) ?? 0n) + amount)
    for (const e of events) {
      if (e.type === "RewardAllocated") add(e.data.recipient, BigInt(e.data.amount))
      if (e.type === "BudgetRefunded") add(e.data.owner, BigInt(e.data.amount))
    }
    expect([...expected.values()].reduce((s, a) => s + a, 0n)).toBe(budget)

    // The bridge settles it: one root, the task's whole deposit debited.
    const settled = await until("the settlement", () => client.get("/settlements/settle:task:SETTLE1"), 60_000, () => net.log.filter((l) => l.startsWith("[settlement]")).slice(-5).join("\n"))
    expect(new Map(settled.claims.map((c: { payee: string; amount: string }) => [c.payee, BigInt(c.amount)]))).toEqual(expected)
    expect(await chain.treasury.accountBalance("task:SETTLE1")).toBe(0n)
    expect(await chain.treasury.unclaimed()).toBe(budget)

    // Every payee claims (anyone may send the claim; the Neura go to the payee) and holds exactly its allocation.
    const owner = net.api.keys.owner.address.toLowerCase()
    for (const [payee, amount] of expected) {
      const claim = await client.get(`/settlements/settle:task:SETTLE1/claims/${payee}`)
      expect(BigInt(claim.amount)).toBe(amount)
      const before = await chain.treasury.balanceOf(payee as Address)
      await chain.treasury.claim(claim.settlementId, payee as Address, amount, claim.proof as Array<Hex>)
      expect((await chain.treasury.balanceOf(payee as Address)) - before, payee).toBe(amount)
      // Nodes held no Neura (the treasury deposited their stake): their balance is their reward.
      if (payee !== owner) expect(await chain.treasury.balanceOf(payee as Address)).toBe(amount)
    }
    const [payee, amount] = [...expected][0]!
    const claim = await client.get(`/settlements/settle:task:SETTLE1/claims/${payee}`)
    await expect(chain.treasury.claim(claim.settlementId, payee as Address, amount, claim.proof)).rejects.toMatchObject({ reason: expect.stringMatching(/^AlreadyClaimed/) })
    const [other, otherAmount] = [...expected][1]!
    const forged = await client.get(`/settlements/settle:task:SETTLE1/claims/${other}`)
    await expect(chain.treasury.claim(forged.settlementId, other as Address, otherAmount + 1n, forged.proof)).rejects.toMatchObject({ reason: expect.stringMatching(/^(AlreadyClaimed|InvalidProof)/) })
    // What the escrow holds is what is still owed: nothing unclaimed, only the stake deposits behind bonds.
    expect(await chain.treasury.unclaimed()).toBe(0n)
    let stakes = 0n
    for (const n of honestNodes) stakes += await chain.treasury.accountBalance(`stake:${n.nodeId}`)
    expect(await chain.treasury.escrowTokenBalance()).toBe(stakes)

    // A scoring's fee is a deposit too: the requester deposits it, the judges' shares and the refund settle as one root.
    const scoringId = `${modelId}-v${events.find((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted")!.data.finalVersion?.version ?? 1}-${created.validation.datasetId}`
    const [, scoredVersion, ] = /-v(\d+)-/.exec(scoringId)!
    const scoringRequest = { modelId, version: Number(scoredVersion), datasetId: created.validation.datasetId, judges: 3, fee: "900" }
    expect(await failure(client.command("RequestScoring", scoringRequest))).toMatchObject({ status: 402, code: "NotDeposited", problem: { account: `scoring:${scoringId}` } })
    await chain.fund(net.api.keys.owner.address as Address, 900n)
    await chain.as(net.api.keys.owner).depositWithPermit(`scoring:${scoringId}`, 900n)
    await until("the fee's deposit", async () => ((await client.get(`/escrow/scoring:${scoringId}`)).deposited === "900" ? true : undefined))
    await client.command("RequestScoring", scoringRequest)
    const scored = await until("the scoring's settlement", () => client.get(`/settlements/settle:scoring:${scoringId}`))
    expect(scored.claims.reduce((s: bigint, c: { amount: string }) => s + BigInt(c.amount), 0n)).toBe(900n)
    for (const c of scored.claims as Array<{ payee: Address; amount: string }>) {
      const proof = await client.get(`/settlements/settle:scoring:${scoringId}/claims/${c.payee}`)
      const before = await chain.treasury.balanceOf(c.payee)
      await chain.treasury.claim(proof.settlementId, c.payee, BigInt(c.amount), proof.proof)
      expect((await chain.treasury.balanceOf(c.payee)) - before).toBe(BigInt(c.amount))
    }
    expect(await chain.treasury.accountBalance(`scoring:${scoringId}`)).toBe(0n)

    // Stake leaves the same way: released, unbonded, withdrawn (the API's clock moved past the 1 s delay, no sleep), settled, claimed.
    const v1 = net.api.client.as(net.keyOf("validator1"))
    await v1.command("ReleaseStake", { nodeId: "validator1", taskId: "SETTLE1" })
    const free = BigInt((await client.get(`/escrow/stake:validator1`)).deposited)
    await v1.command("UnbondStake", { nodeId: "validator1", amount: free.toString() })
    clock.jump(2_000)
    await v1.command("WithdrawStake", { nodeId: "validator1" })
    const withdrawal = await until("the withdrawal's settlement", () => client.get(`/settlements/settle:withdrawal:validator1:1/claims/${net.keyOf("validator1").address}`))
    expect(BigInt(withdrawal.amount)).toBe(free)
    const held = await chain.treasury.balanceOf(net.keyOf("validator1").address as Address)
    await chain.as(net.keyOf("validator1")).claim(withdrawal.settlementId, net.keyOf("validator1").address as Address, free, withdrawal.proof).catch(async () => {
      // validator1 holds no gas money: the treasury sends the claim for it.
      await chain.treasury.claim(withdrawal.settlementId, net.keyOf("validator1").address as Address, free, withdrawal.proof)
    })
    expect((await chain.treasury.balanceOf(net.keyOf("validator1").address as Address)) - held).toBe(free)
    expect(await chain.treasury.accountBalance("stake:validator1")).toBe(0n)

    // Model Objects: fork the result, publish it by DAO vote; the registry contract equals the read model.
    const final = events.find((e) => e.type === "TaskCompleted" || e.type === "TaskExhausted")!
    const finalVersion = final.data.finalVersion?.version ?? 1
    const forked = await client.command("ForkModel", { parent: { modelId, version: finalVersion }, name: "a branch on chain" })
    const childId = forked.results.flatMap((r: any) => r.events).find((e: any) => e.type === "ModelRegistered").data.modelId as string
    const published = await publishByDao(net, modelId, finalVersion, "publish-settled", ["validator2", "validator3", "trainerA", "trainerB"])
    await until("the registry to mirror the publication", async () => ((net.settlementBridge!.mirroredThrough >= published) ? true : undefined))
    const onChain = await chain.registry.models()
    for (const id of [modelId, childId]) {
      const doc = (await client.get(`/models/${id}?minPosition=${published}`)).model
      const mirrored = onChain.find((m) => m.modelId === id)!
      expect(mirrored, id).toBeDefined()
      expect(mirrored.owner).toBe(doc.owner.toLowerCase())
      expect(mirrored.status).toBe(doc.status)
      expect(mirrored.parent).toEqual(doc.origin.kind === "fork" ? { modelId: doc.origin.parent.modelId, version: doc.origin.parent.version } : undefined)
      expect(mirrored.forks).toEqual(doc.forks.map((f: { modelId: string }) => f.modelId))
      expect(mirrored.versions.map((v) => [v.version, v.weightsHash, v.metricsDigest, v.taskId])).toEqual(
        doc.versions.map((v: any) => [v.version, v.weightsHash, metricsDigest(v.metrics), taskIdDigest(v.taskId)])
      )
    }
    expect(onChain.find((m) => m.modelId === modelId)!.publishedVersion).toBe(finalVersion)
    expect(onChain.find((m) => m.modelId === modelId)!.versions.length).toBeGreaterThanOrEqual(2)
  }, 600_000)
})
