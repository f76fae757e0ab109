import { describe, expect, it } from "vitest"
import { proofPayload, registerNode } from "../../commands/samples"
import { devKey } from "../../infra/identity/devKeys"
import { failure } from "../support/apiFailure"
import { networkHarness, taskEvents } from "../support/networkHarness"
import { natsServerPerFile } from "../support/natsServer"

/**
 * The open-network attack an outsider ran against the first slice, now on
 * the protocol (docs/protocol.md): Sybil validators, result-id grinding and
 * forged weights. Then it paid the forger 20,999,950 of 21,000,000 Neura and
 * the model fell to 0.07 accuracy. Now: identities cost stake and do not
 * multiply per key, the forger cannot choose its result id or its judges,
 * every draw holds an honest judge whose re-execution contests the forgery,
 * and the referee's ruling slashes the forger and its accomplices.
 */
const nats = natsServerPerFile()

const earned = (events: Array<any>, nodeId: string) =>
  events.filter((e) => e.type === "RewardAllocated" && e.data.nodeId === nodeId).reduce((s, e) => s + BigInt(e.data.amount), 0n)

describe("open network under attack (real NATS, real TF.js)", () => {
  it("Sybil validators + result-id grinding + a forged run: refused, contested, slashed; the honest model still reaches its target", async () => {
    const nodes = [
      { nodeId: "honest", role: "trainer" as const },
      { nodeId: "forger", role: "trainer" as const, behaviour: "forgeRun" as const },
      { nodeId: "validator1", role: "validator" as const },
      { nodeId: "validator2", role: "validator" as const },
      { nodeId: "validator3", role: "validator" as const },
      // The forger's two accomplices: they accept without re-executing (two fifths of the validator stake).
      { nodeId: "sybil1", role: "validator" as const, behaviour: "lazy" as const },
      { nodeId: "sybil2", role: "validator" as const, behaviour: "lazy" as const }
    ]
    await using net = await networkHarness(nats.server.url, nodes)
    const forgerKey = net.keyOf("forger")
    const { modelId } = await net.createTask("OPEN1", { target: 0.92, maxRounds: 4 })
    // One key, one node: the forger's key cannot register a third Sybil validator.
    expect(await failure(registerNode(net.api.client, forgerKey, "sybil3", ["validator"]))).toMatchObject({ status: 409, code: "NodeKeyAlreadyRegistered" })
    // A fresh identity is free to register, but cannot take part without stake.
    await registerNode(net.api.client, devKey("sybil4"), "sybil4", ["validator"])
    expect(await failure(net.api.client.as(devKey("sybil4")).command("JoinTask", { taskId: "OPEN1", nodeId: "sybil4", role: "validator" }))).toMatchObject({
      status: 409,
      code: "StakeTooLow"
    })

    // Grinding: the forger tries result ids of its choosing, and a claim of a billion samples.
    for (let i = 0; i < 20; i++) {
      const events = await taskEvents(net.api.client, "OPEN1")
      if (events.some((e) => e.type === "TrainingDispatched")) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const base = (await taskEvents(net.api.client, "OPEN1")).find((e) => e.type === "RoundStarted").data.base.weightsHash
    for (const resultId of ["grind-1", "grind-2", "OPEN1-r1-s9-forger"]) {
      const refused = await failure(net.api.client.as(forgerKey).command("SubmitResult", { taskId: "OPEN1", round: 1, resultId, nodeId: "forger", proof: proofPayload(base) }))
      expect(refused.status).toBeGreaterThanOrEqual(400)
      expect(["ResultIdNotDerived", "ProofMismatch", "UnknownShard"]).toContain(refused.code)
    }

    const events = await net.waitForEnd("OPEN1", 150_000)
    const log = net.log.slice(-30).join("\n")

    // The forged results were never accepted in the end: contested by an honest judge, ruled forged, penalised.
    const forged = events.filter((e) => e.type === "ResultSubmitted" && e.data.nodeId === "forger")
    expect(forged.length, log).toBeGreaterThan(0)
    for (const r of forged) {
      const drawn = events.find((e) => e.type === "VerificationRequested" && e.data.resultId === r.data.resultId)
      expect(drawn.data.validators.some((v: string) => v.startsWith("validator")), "every draw of 3 from 5 holds an honest judge").toBe(true)
      const last = events.filter((e) => (e.type === "ResultVerified" || e.type === "ResultRejected") && e.data.resultId === r.data.resultId).at(-1)
      expect(last.type, log).toBe("ResultRejected")
      expect(last.data.penalized).toBe(true)
    }
    // Each dispute was bisected to one step: the forger opened its audited segment (claiming its base
    // state after every step, having trained none), and a jury of the staked validators replayed that
    // step alone: the honest majority's ruling stood, the Sybils' made-up rulings were proven wrong.
    for (const r of forged) {
      expect(events.some((e) => e.type === "DisputeAnswered" && e.data.resultId === r.data.resultId && e.data.nodeId === "forger"), log).toBe(true)
      const jurors = events.filter((e) => e.type === "RulingRevealed" && e.data.resultId === r.data.resultId).map((e) => e.data.nodeId)
      for (const v of ["validator1", "validator2", "validator3"]) expect(jurors, log).toContain(v)
      const rejected = events.filter((e) => e.type === "ResultRejected" && e.data.resultId === r.data.resultId).at(-1)
      expect(rejected?.data.reason, log).toMatch(/step \d+ does not follow from the state before it/)
    }
    expect(net.log.some((l) => /bisected to step \d+, ruled by its jury/.test(l))).toBe(true)
    const closes = events.filter((e) => e.type === "RoundClosed")
    for (const c of closes) expect(c.data.verifiedResults.some((id: string) => id.includes("forger"))).toBe(false)

    // Slashed: the forger, and its accomplices wherever they judged; none of them earned anything.
    const slashed = new Set(events.filter((e) => e.type === "StakeSlashed").map((e) => e.data.nodeId))
    expect(slashed.has("forger"), log).toBe(true)
    for (const nodeId of ["forger", "sybil1", "sybil2"]) expect(earned(events, nodeId), nodeId).toBe(0n)
    for (const nodeId of ["validator1", "validator2", "validator3"]) expect(slashed.has(nodeId)).toBe(false)
    expect(earned(events, "honest")).toBeGreaterThan(0n)

    // The model only ever averaged honest work, and reached its target.
    const versions = (await net.api.client.get("/events?aggregate=model&limit=1000")).events.filter((e: any) => e.stream === `model-${modelId}` && e.type === "ModelVersionCreated")
    for (const v of versions) expect(v.data.lineage.nodes ?? []).not.toContain("forger")
    const end = events.find((e) => e.type === "TaskCompleted")
    expect(end, log).toBeDefined()
    expect(end.data.metrics.accuracy).toBeGreaterThanOrEqual(0.92)

    // The ledger read side shows it: the forger's balance carries its slash.
    const forgerAddress = forgerKey.address
    const { balance } = await net.api.client.get(`/balances/${forgerAddress}`)
    expect(BigInt(balance.slashed)).toBeGreaterThan(0n)
    expect(BigInt(balance.bonded)).toBeGreaterThanOrEqual(BigInt(balance.slashed))
  }, 200_000)
})

describe("the challenge window (real NATS, real TF.js)", () => {
  it("when every judge of a forged run is the forger's, one honest watcher's challenge overturns it before it is final", async () => {
    const nodes = [
      { nodeId: "honest", role: "trainer" as const },
      { nodeId: "forger", role: "trainer" as const, behaviour: "forgeRun" as const },
      // The attacker holds nearly all validator stake: its three identities agree on whatever they "re-execute".
      { nodeId: "sybil1", role: "validator" as const, behaviour: "lazy" as const, stake: 1_000_000n },
      { nodeId: "sybil2", role: "validator" as const, behaviour: "lazy" as const, stake: 1_000_000n },
      { nodeId: "sybil3", role: "validator" as const, behaviour: "lazy" as const, stake: 1_000_000n },
      { nodeId: "watcher", role: "validator" as const, watch: true }
    ]
    // A window long enough for a watcher that follows the log through the API (polling) to re-execute and challenge.
    await using net = await networkHarness(nats.server.url, nodes, [], { protocol: { challengeSeconds: 8 } })
    await net.createTask("OPEN2", { target: 0.99, maxRounds: 2 })
    const events = await net.waitForEnd("OPEN2", 150_000)
    const log = net.log.slice(-30).join("\n")

    const forged = events.filter((e) => e.type === "ResultSubmitted" && e.data.nodeId === "forger").map((e) => e.data.resultId)
    expect(forged.length, log).toBeGreaterThan(0)
    // Held, challenged by the watcher, upheld by the referee: never final, its reward forfeited, the forger slashed.
    const challenged = events.filter((e) => e.type === "ResultChallenged")
    expect(challenged.length, log).toBeGreaterThan(0)
    expect(challenged.every((e) => e.data.challenger === "watcher" && forged.includes(e.data.resultId))).toBe(true)
    expect(events.filter((e) => e.type === "ChallengeResolved").every((e) => e.data.upheld)).toBe(true)
    for (const id of forged) expect(events.some((e) => e.type === "ResultFinalized" && e.data.resultId === id), id).toBe(false)
    expect(earned(events, "forger")).toBe(0n)
    expect(events.some((e) => e.type === "StakeSlashed" && e.data.nodeId === "forger" && e.data.referee === net.keyOf("watcher").address)).toBe(true)
    // Honest results pass the watcher's check and become final; the watcher earned its share of the slash.
    expect(events.some((e) => e.type === "ResultFinalized" && e.data.resultId.endsWith("-honest"))).toBe(true)
    expect(earned(events, "honest")).toBeGreaterThan(0n)
  }, 200_000)
})
