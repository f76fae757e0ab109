import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { describe, expect, it } from "vitest"
import { signCommand } from "../../infra/identity/signature"
import { devKey, joinTask, proofPayload, registerNode, sampleTask, taskPayload } from "../../commands/samples"
import { apiHarness } from "../support/apiHarness"
import { isolatedJetStreamLog } from "../support/jetStreamLayer"
import { natsServerPerFile } from "../support/natsServer"

const nats = natsServerPerFile()

describe("Command API on real JetStream", () => {
  it("runs the task lifecycle: events land in order on events.<aggregate>.<id>, the chain verifies", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer())
    const modelId = await sampleTask(api.client, "T1")
    const nodes = [
      ["trainer0", "trainer"],
      ["trainer1", "trainer"],
      ["validator0", "validator"],
      ["validator1", "validator"],
      ["validator2", "validator"]
    ] as const
    // Joins race each other on the task stream: the server retries the conflicts.
    await Promise.all(nodes.map(([id, role]) => registerNode(api.client, devKey(id), id, [role])))
    await Promise.all(nodes.map(([id, role]) => joinTask(api.client, devKey(id), "T1", id, role)))
    await api.client.command("StartRound", { taskId: "T1", round: 1 })
    const base = (await api.client.get("/events?aggregate=model")).events[1].data.weightsHash
    const submitted = await api.client.as(devKey("trainer0")).command("SubmitResult", {
      taskId: "T1",
      round: 1,
      resultId: "T1-r1-trainer0",
      nodeId: "trainer0",
      proof: proofPayload(base)
    })
    expect(submitted.results[0]!.events.map((e) => e.type)).toEqual(["ResultSubmitted"])
    await api.client.command("DrawValidators", { taskId: "T1", round: 1, resultId: "T1-r1-trainer0" })

    const nc = await connect({ servers: nats.server.url })
    const jsm = await jetstreamManager(nc)
    const stored = await jsm.direct.getMessage(log.config.streamName, { seq: submitted.globalPosition })
    expect(stored?.subject).toBe(`${log.config.subjectPrefix}.task.T1`)
    await nc.close()

    const all = (await api.client.get("/events?limit=1000")).events
    const types = all.filter((e: any) => e.stream === "task-T1").map((e: any) => e.type)
    expect(types).toEqual(["TaskCreated", "BudgetEscrowed", ...nodes.map(() => "NodeJoinedTask"), "RoundStarted", "ResultSubmitted", "VerificationRequested"])
    // Joining bonded and committed each node's stake on its own stream.
    expect(all.filter((e: any) => e.type === "StakeCommitted")).toHaveLength(nodes.length)
    expect((await api.client.get("/events/verify")).ok).toBe(true)
  })

  it("a command replayed to another API instance on the same log appends nothing", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using first = await apiHarness(log.layer())
    await using second = await apiHarness(log.layer())
    const key = devKey("trainer0")
    const body = signCommand(key, "RegisterNode", { nodeId: "trainer0", publicKey: key.publicKey, roles: ["trainer"], capabilities: [] })
    const a = await first.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: body })
    // The registration is two commits: the key's binding, then the node.
    const head = (await first.client.get("/health")).headPosition
    expect(head).toBe(2)
    const b = await second.app.inject({ method: "POST", url: "/commands/RegisterNode", payload: body })
    expect([a.statusCode, b.statusCode]).toEqual([201, 200])
    expect(b.json().results[0].events[0].hash).toBe(a.json().results[0].events[0].hash)
    expect((await first.client.get("/health")).headPosition).toBe(head)
  })

  it("bad input appends nothing to JetStream", async () => {
    await using log = isolatedJetStreamLog(nats.server.url)
    await using api = await apiHarness(log.layer())
    const r = await api.app.inject({ method: "POST", url: "/commands/CreateTask", payload: signCommand(api.keys.owner, "CreateTask", { ...taskPayload("T1", "M-1"), budget: "-5" }) })
    expect([r.statusCode, r.json().code]).toEqual([400, "InvalidRequest"])
    const missing = await api.app.inject({ method: "POST", url: "/commands/CreateTask", payload: signCommand(api.keys.owner, "CreateTask", taskPayload("T1", "M-1")) })
    expect([missing.statusCode, missing.json().code]).toEqual([404, "ModelNotFound"])
    expect((await api.client.get("/health")).headPosition).toBe(0)
  })
})
