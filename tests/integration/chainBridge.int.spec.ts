import { Effect, Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { concat, createPublicClient, custom, encodeAbiParameters, keccak256, type Hex } from "viem"
import { startBridge } from "../../chain-bridge/bridge"
import { chainClient, deployEventAnchor } from "../../chain-bridge/ChainClient"
import { eventAnchorAbi } from "../../chain-bridge/contracts/EventAnchor.artifact"
import { DEV_PRIVATE_KEYS, startLocalChain } from "../../chain-bridge/localChain"
import { auditAnchors } from "../../chain-bridge/verifyAnchors"
import { rootOfEvents } from "../../chain-bridge/anchor"
import { RecordedEvent } from "../../domain/recordedEvent"
import { EventStore } from "../../domain/ports"
import { canonicalJson } from "../../infra/canonicalJson"
import { apiAnchorRecorder } from "../../commands/anchorRecorder"
import { injectTransport, NeuraClient } from "../../commands/client"
import { devKey } from "../../infra/identity/devKeys"
import { apiHarness } from "../support/apiHarness"
import { budgetEscrowed, nodeRegistered } from "../support/events"
import { isolatedJetStreamLog } from "../support/jetStreamLayer"
import { natsServerPerFile } from "../support/natsServer"

const nats = natsServerPerFile()

const run = Effect.runPromise
const encodeAll = Schema.encodeSync(Schema.Array(RecordedEvent))

/** A fresh log on real JetStream, the API over it, a fresh EDR chain with EventAnchor deployed. */
const bridgeKey = devKey("bridge")
const setup = async () => {
  const log = isolatedJetStreamLog(nats.server.url)
  const chain = await startLocalChain()
  const connection = { chainId: chain.chainId, rpc: chain.request, privateKey: DEV_PRIVATE_KEYS[0] }
  const contract = await deployEventAnchor(connection)
  const client = chainClient(connection, contract)
  // The bridge reads the log, but records anchors only through the API, which checks them against the chain.
  const api = await apiHarness(log.layer(), { bridges: [bridgeKey.address], anchorChains: [client] })
  const store = await api.runtime.runPromise(EventStore.useSync((s) => s))
  const record = apiAnchorRecorder(new NeuraClient(injectTransport(api.app), bridgeKey))
  const append = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) {
      await run(store.append({ stream: `ledger-T${i}`, expectedRevision: "no_stream", events: [budgetEscrowed(`T${i}`, BigInt(i + 1)), nodeRegistered(`N${i}`)], commandId: `c${i}` }))
    }
  }
  return {
    log,
    api,
    store,
    chain,
    client,
    append,
    readAll: () => run(Stream.runCollect(store.readAll())),
    startBridge: (options: { batchSize: number; maxWaitMs: number }) => startBridge({ store, chain: client, record, ...options }),
    record,
    async [Symbol.asyncDispose]() {
      await api[Symbol.asyncDispose]()
      await log[Symbol.asyncDispose]()
    }
  }
}

const waitFor = async (condition: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > until) throw new Error("condition not met in time")
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe("chain bridge on real JetStream and a real EVM (EDR)", () => {
  it("anchors the log in contiguous batches and records BatchAnchored", async () => {
    await using t = await setup()
    await t.append(10)
    const bridge = await t.startBridge({ batchSize: 8, maxWaitMs: 200 })
    await waitFor(async () => (await t.client.lastSeq()) >= 10)
    await t.append(3, 10)
    await waitFor(async () => (await t.client.lastSeq()) >= 13)
    await bridge.stop()

    const onChain = await t.client.anchors()
    expect(onChain[0]!.fromSeq).toBe(1)
    for (let i = 1; i < onChain.length; i++) expect(onChain[i]!.fromSeq).toBe(onChain[i - 1]!.toSeq + 1)
    const all = await t.readAll()
    const recorded = all.filter((e) => e.data._tag === "BatchAnchored").map((e) => e.data as any)
    expect(recorded.map((r) => r.index)).toEqual(onChain.map((a) => a.index))
    expect(recorded[0]).toMatchObject({ chainId: 31337, contract: t.client.contract.toLowerCase(), fromPosition: 1, root: onChain[0]!.root, txHash: onChain[0]!.txHash })
    // Roots match a recomputation from the log.
    for (const a of onChain) expect(rootOfEvents(all.filter((e) => e.globalPosition >= a.fromSeq && e.globalPosition <= a.toSeq))).toBe(a.root)
    expect(auditAnchors(encodeAll(all), onChain)).toMatchObject({ ok: true, anchorsChecked: onChain.length })
  }, 60_000)

  it("records anchors only as the chain holds them, and only for the bridge's key", async () => {
    await using t = await setup()
    await t.append(3)
    const bridge = await t.startBridge({ batchSize: 1000, maxWaitMs: 100 })
    await waitFor(async () => (await t.client.lastSeq()) >= 3)
    await waitFor(async () => (await t.readAll()).some((e) => e.data._tag === "BatchAnchored"))
    await bridge.stop()
    const [a] = await t.client.anchors()
    const claim = { chainId: 31337, contract: t.client.contract.toLowerCase(), index: a!.index, fromPosition: a!.fromSeq, toPosition: a!.toSeq, eventCount: 6, root: a!.root, txHash: a!.txHash, blockNumber: a!.blockNumber }
    const as = (key: ReturnType<typeof devKey>) => new NeuraClient(injectTransport(t.api.app), key)
    const refused = async (key: ReturnType<typeof devKey>, payload: object) =>
      as(key).command("RecordAnchor", payload).then(() => undefined, (e: { status: number; problem: { code: string } }) => [e.status, e.problem.code])
    const before = await run(t.store.headPosition)
    expect(await refused(devKey("mallory"), claim)).toEqual([403, "NotBridgeKey"])
    expect(await refused(bridgeKey, { ...claim, root: `0x${"ab".repeat(32)}` })).toEqual([400, "AnchorMismatch"])
    expect(await refused(bridgeKey, { ...claim, toPosition: claim.toPosition + 5 })).toEqual([400, "AnchorMismatch"])
    expect(await refused(bridgeKey, { ...claim, index: 7 })).toEqual([404, "AnchorNotOnChain"])
    expect(await refused(bridgeKey, claim)).toEqual([409, "AnchorAlreadyRecorded"])
    expect(await refused(bridgeKey, { ...claim, contract: `0x${"12".repeat(20)}` })).toEqual([503, "ChainUnavailable"])
    expect(await run(t.store.headPosition)).toBe(before)
  }, 60_000)

  it("serves an inclusion proof a third party checks with viem alone, and on-chain", async () => {
    await using t = await setup()
    await t.append(5)
    const bridge = await t.startBridge({ batchSize: 1000, maxWaitMs: 100 })
    await waitFor(async () => (await t.client.lastSeq()) >= 5)
    await bridge.stop()

    const response = await t.api.app.inject({ method: "GET", url: "/events/3/proof?index=1" })
    expect(response.statusCode).toBe(200)
    const p = response.json()

    // --- what a third party does, with viem only ---------------------------
    const { hash, ...withoutHash } = p.event
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as any)[k])])) : v
    const eventHash = keccak256(new TextEncoder().encode(JSON.stringify(sortKeys(withoutHash))))
    expect(eventHash).toBe(hash)
    const leaf = keccak256(keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "bytes32" }], [BigInt(p.event.globalPosition), eventHash])))
    const root = (p.proof as Array<Hex>).reduce<Hex>((acc, s) => (acc < s ? keccak256(concat([acc, s])) : keccak256(concat([s, acc]))), leaf)
    const reader = createPublicClient({ transport: custom({ request: t.chain.request }) })
    const stored = await reader.readContract({ address: p.anchor.contract, abi: eventAnchorAbi, functionName: "anchorAt", args: [BigInt(p.anchor.index)] })
    expect(root).toBe(stored.root)
    expect(await reader.readContract({ address: p.anchor.contract, abi: eventAnchorAbi, functionName: "verify", args: [BigInt(p.anchor.index), p.proof, leaf] })).toBe(true)
    // A tampered event fails both checks.
    const forgedHash = keccak256(new TextEncoder().encode(canonicalJson({ ...withoutHash, data: { ...withoutHash.data, capabilities: ["cuda"] } })))
    const forgedLeaf = keccak256(keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "bytes32" }], [3n, forgedHash])))
    expect(await reader.readContract({ address: p.anchor.contract, abi: eventAnchorAbi, functionName: "verify", args: [BigInt(p.anchor.index), p.proof, forgedLeaf] })).toBe(false)

    const notYet = await t.api.app.inject({ method: "GET", url: "/events/99/proof" })
    expect([notYet.statusCode, notYet.json().code]).toEqual([404, "NotAnchoredYet"])
  }, 60_000)

  it("anchors a range once when flushNow meets a flush already on its way (no refused anchor)", async () => {
    await using t = await setup()
    await t.append(2)
    // Two gates make the race exact: flushNow waits on the head while a
    // scheduled flush starts and is held inside its anchor transaction.
    const release: { head?: () => void; anchor?: () => void } = {}
    const headGate = new Promise<void>((r) => (release.head = r))
    const anchorGate = new Promise<void>((r) => (release.anchor = r))
    let anchorsEntered = 0
    let holdHead = false
    const store = {
      ...t.store,
      headPosition: Effect.promise(async () => {
        const head = await run(t.store.headPosition)
        if (holdHead) await headGate
        return head
      })
    }
    const chain = Object.assign(Object.create(Object.getPrototypeOf(t.client)), t.client, {
      anchor: async (...args: Parameters<typeof t.client.anchor>) => {
        anchorsEntered++
        await anchorGate
        return t.client.anchor(...args)
      }
    }) as typeof t.client
    const lines: Array<string> = []
    // Each commit holds two events: the first two commits (4 events) stay
    // below the batch, the third one's events reach it. No timer fires.
    const bridge = await startBridge({ store, chain, record: t.record, batchSize: 5, maxWaitMs: 600_000, log: (l) => lines.push(l) })
    holdHead = true
    const flushed = bridge.flushNow()
    // A commit arrives while flushNow waits on the head: the subscription schedules a flush of [1..3].
    await t.append(1, 2)
    await waitFor(() => anchorsEntered === 1)
    release.head!()
    // One turn of the event loop: flushNow has gone on from the head it read
    // (microtasks only), so a second flush would have taken its range now.
    await new Promise((r) => setImmediate(r))
    release.anchor!()
    await flushed
    await bridge.stop()
    expect(lines.filter((l) => /refused/.test(l))).toEqual([])
    const onChain = await t.client.anchors()
    for (let i = 1; i < onChain.length; i++) expect(onChain[i]!.fromSeq).toBe(onChain[i - 1]!.toSeq + 1)
    expect(onChain[0]!.fromSeq).toBe(1)
    // The scheduled flush anchored the three commands' commits (positions 1-3); what follows is the anchors' own records.
    expect(onChain[0]!.toSeq).toBe(3)
  }, 60_000)

  it("restarts safely: resumes after the chain's last anchor, records an anchor the log missed, never double-anchors", async () => {
    await using t = await setup()
    await t.append(4)
    const first = await t.startBridge({ batchSize: 1000, maxWaitMs: 100 })
    await waitFor(async () => (await t.client.lastSeq()) >= 4)
    await first.stop()

    // A crash between the transaction and the log append: anchored on chain, unknown to the log.
    await t.append(2, 4)
    const head = await run(t.store.headPosition)
    const missing = await t.readAll()
    const receipt = await t.client.anchor(rootOfEvents(missing.filter((e) => e.globalPosition > 4)), 5, head)
    // Anchoring the same range again is refused by the contract.
    await expect(t.client.anchor(rootOfEvents(missing.filter((e) => e.globalPosition > 4)), 5, head)).rejects.toMatchObject({ _tag: "AnchorRejected" })

    await t.append(2, 6)
    const second = await t.startBridge({ batchSize: 1000, maxWaitMs: 100 })
    await waitFor(async () => (await t.client.lastSeq()) > head + 2)
    await second.stop()

    const all = await t.readAll()
    const recorded = all.filter((e) => e.data._tag === "BatchAnchored").map((e) => e.data as any)
    expect(recorded.map((r) => r.index)).toEqual([0, 1, 2])
    expect(recorded[1]).toMatchObject({ fromPosition: 5, toPosition: head, txHash: receipt.txHash })
    const onChain = await t.client.anchors()
    expect(onChain.map((a) => [a.fromSeq, a.toSeq])).toEqual([[1, 4], [5, head], [head + 1, onChain[2]!.toSeq]])
    expect(auditAnchors(encodeAll(all), onChain).ok).toBe(true)
  }, 60_000)

  it("detects tampering with any anchored event in a copy of the log, and names it", async () => {
    await using t = await setup()
    await t.append(6)
    const bridge = await t.startBridge({ batchSize: 4, maxWaitMs: 100 })
    await waitFor(async () => (await t.client.lastSeq()) >= 6)
    await bridge.stop()
    const anchors = await t.client.anchors()
    const copy = encodeAll(await t.readAll()).map((e) => JSON.parse(JSON.stringify(e)))

    // Edit an event's amount (keeping its old hash): the event is named, its batch's root fails.
    const target = copy.findIndex((e) => e.globalPosition === 3 && e.indexInCommit === 0)
    const edited = copy.map((e, i) => (i === target ? { ...e, data: { ...e.data, amount: "999999" } } : e))
    const audit = auditAnchors(edited, anchors)
    expect(audit.ok).toBe(false)
    expect(audit.problems.filter((p) => p.globalPosition !== undefined).map((p) => p.eventId)).toEqual([copy[target].id])
    const batch = anchors.find((a) => a.fromSeq <= 3 && 3 <= a.toSeq)!
    expect(audit.problems.some((p) => p.anchor === batch.index && /root/.test(p.reason))).toBe(true)

    // Rewriting the hash too (and relinking the next event) still changes the anchored root.
    const rehashed = JSON.parse(JSON.stringify(edited))
    const { computeEventHash } = await import("../../infra/eventStore/hashChain")
    rehashed[target].hash = computeEventHash(rehashed[target])
    rehashed[target + 1].prevHash = rehashed[target].hash
    rehashed[target + 1].hash = computeEventHash(rehashed[target + 1])
    const deeper = auditAnchors(rehashed, anchors)
    expect(deeper.ok).toBe(false)
    expect(deeper.problems.some((p) => p.anchor === batch.index && /root/.test(p.reason))).toBe(true)
  }, 60_000)
})
