import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Hex } from "viem"
import { registryOps } from "../../chain-bridge/settlement/registry"
import { EventStore } from "../../domain/ports"
import { sampleTopology, sha256Hex } from "../../commands/samples"
import { failure } from "../support/apiFailure"
import { startNatsServer, type NatsServer } from "../support/natsServer"
import { networkHarness } from "../support/networkHarness"
import { depositRecorded, settlementChain, type SettlementTestChain } from "../support/settlementChain"
import { Effect, Stream } from "effect"

/**
 * The settlement bridge is restart-safe and the API believes nothing it
 * cannot check: a bridge stopped while deposits and models happen resumes
 * from the chain (deposits recorded once, the registry continues after its
 * lastPosition); a replayed registry range is refused by the contract; a
 * bridge key that lies about a deposit or a settlement is refused.
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

describe("settlement bridge: restarts, replays and lies", () => {
  it("resumes from the chain after a stop; refuses replays; the API refuses a bridge key's false claims", async () => {
    await using net = await networkHarness(server.url, [], [], { settlement: chain })
    const client = net.api.client
    const register = async (name: string) =>
      (await client.command("RegisterModel", { name, topology: sampleTopology, initialWeightsHash: sha256Hex(name) })).results[0]!.events[0]!.data.modelId as string
    const first = await register("first")
    await client.command("ForkModel", { parent: { modelId: first, version: 1 }, name: "first, forked" })
    await chain.treasury.approve(10n ** 18n)
    await chain.treasury.deposit("stake:n1", 700n)
    await depositRecorded(client, "stake:n1", 700n)
    const bridge = net.settlementBridge!
    for (let i = 0; i < 400 && (await chain.registry.modelCount()) < 2; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await chain.registry.modelCount()).toBe(2)

    // Stopped: the world goes on without it.
    await bridge.stop()
    const third = await register("third")
    await chain.treasury.deposit("stake:n1", 300n)
    expect((await client.get("/escrow/stake:n1")).deposited).toBe("700")

    // A new bridge process: everything it needs to resume is on the chain.
    const store = await net.api.runtime.runPromise(EventStore.useSync((s) => s))
    const resumed = await chain.startBridge(store, client.as(net.bridgeKey))
    try {
      await depositRecorded(client, "stake:n1", 1_000n)
      for (let i = 0; i < 400 && (await chain.registry.modelCount()) < 3; i++) await new Promise((r) => setTimeout(r, 50))
      const onChain = await chain.registry.models()
      expect(onChain.map((m) => m.modelId)).toEqual([first, expect.any(String), third])
      expect(onChain[1]!.parent).toEqual({ modelId: first, version: 1 })
      // Each deposit once, however often it was offered.
      const escrow = await client.get("/escrow/stake:n1")
      expect(escrow.events.filter((e: { _tag: string }) => e._tag === "DepositObserved").map((e: { amount: string }) => e.amount)).toEqual(["700", "300"])

      // A replayed range is refused by the registry itself.
      const all = await Effect.runPromise(Stream.runCollect(store.readAll({ fromPosition: 1 })))
      await expect(chain.registry.mirror(1, all[0]!.globalPosition, registryOps([...all]))).rejects.toMatchObject({ reason: expect.stringMatching(/^NotContiguous/) })

      // The bridge's own key, lying: a deposit that is not on chain as claimed, a settlement the log does not owe.
      const bridgeClient = client.as(net.bridgeKey)
      const deposit = escrow.events[0]
      const lie = { chainId: deposit.chainId, contract: deposit.contract, account: "stake:n1", depositor: deposit.depositor, amount: "7000", txHash: deposit.txHash, logIndex: deposit.logIndex, blockNumber: deposit.blockNumber }
      expect(await failure(bridgeClient.command("RecordDeposit", lie))).toMatchObject({ status: 404, code: "DepositNotOnChain", problem: { reason: "differs from the chain in amount" } })
      expect(await failure(bridgeClient.command("RecordDeposit", { ...lie, amount: "700" }))).toMatchObject({ status: 409, code: "DepositAlreadyRecorded" })
      const settlement = { chainId: deposit.chainId, contract: deposit.contract, settlement: "settle:task:NOPE", root: `0x${"ab".repeat(32)}` as Hex, total: "5", burned: "0", txHash: deposit.txHash, blockNumber: 1 }
      expect(await failure(bridgeClient.command("RecordSettlement", settlement))).toMatchObject({ status: 409, code: "NothingToSettle" })
      expect(await failure(client.command("RecordSettlement", settlement))).toMatchObject({ status: 403, code: "NotBridgeKey" })
    } finally {
      await resumed.stop()
    }
  }, 300_000)
})
