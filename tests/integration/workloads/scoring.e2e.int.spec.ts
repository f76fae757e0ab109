import { describe, expect, it } from "vitest"
import { registerNode } from "../../../commands/samples"
import { apiShardWriter, apiWeightsWriter } from "../../../commands/weightsClient"
import { getWeightBytes } from "../../../infra/ml/model"
import { openOnnx } from "../../../infra/ml/onnxRuntime"
import { loadTf } from "../../../infra/ml/tf"
import { digits, digitsCnnLayers, digitsMlpLayers } from "../../../workloads/digits"
import { layersToOnnx } from "../../../workloads/kit/onnx"
import { layersTopology } from "../../../nodes/workloadTask"
import { failure } from "../../support/apiFailure"
import { digitsManifest } from "../../support/manifests"
import { networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { publishByDao } from "../../support/workloadE2e"

/**
 * Scoring by consensus (docs/protocol.md §8), on the network: a digits CNN
 * made elsewhere arrives as ONNX that the network cannot convert (it has
 * convolutions), so it is registered opaque. Judges drawn by stake run the
 * file itself in onnxruntime on a registered validation set, commit, then
 * reveal; the majority's measurement is the version's score and is exactly
 * what onnxruntime gives here; a lazy judge that made its number up is not
 * paid. The opaque model forks and publishes through the DAO, exports as
 * the file it was, and cannot be trained. A Layers model is scored in TF.js
 * the same way.
 */
const nats = natsServerPerFile()

const nodes = [
  { nodeId: "validator1", role: "validator" },
  { nodeId: "validator2", role: "validator" },
  { nodeId: "validator3", role: "validator", behaviour: "lazy" }
] as const
const judges = nodes.map((n) => n.nodeId)

describe("scoring by consensus (real NATS, onnxruntime and TF.js)", () => {
  it("an opaque ONNX CNN is scored by drawn judges in onnxruntime; the lazy judge goes unpaid; it forks and publishes but does not train", async () => {
    await using net = await networkHarness(nats.server.url, nodes, [], { protocol: { votingSeconds: 1 } })
    const owner = net.api.client
    const { tf } = await loadTf()
    for (const nodeId of judges) {
      await registerNode(owner, net.keyOf(nodeId), nodeId, ["validator"])
      await owner.as(net.keyOf(nodeId)).command("BondStake", { nodeId, amount: "5000" })
    }

    // Made elsewhere: a CNN trained on the digits, written as ONNX (Conv, MaxPool: not convertible to Layers here).
    const data = digits.publicData({ shards: 1, trainSamples: 1200, heldOutSamples: 400 })
    const train = digits.decode(data.training[0]!, {})
    const cnn = digitsCnnLayers(tf, 5)
    cnn.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" })
    const xs = tf.tensor(train.x, [train.count, 64])
    const ys = tf.oneHot(tf.tensor1d(train.y, "int32"), 10)
    await cnn.fit(xs, ys, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 })
    tf.dispose([xs, ys])
    const onnx = layersToOnnx(cnn, "digits-cnn-elsewhere")
    cnn.dispose()

    const artefactHash = await apiWeightsWriter(owner.transport, owner.key).put(onnx)
    const imported = (await owner.command("ImportModel", { name: "digits CNN from elsewhere", manifest: digitsManifest({ producer: "another lab" }), artefactHash })).results[0]!.events
    const modelId = imported[0]!.data.modelId as string
    expect(imported[0]!.data.topology["neura:onnx-opaque"]).toMatchObject({ workload: "digits", reason: expect.stringMatching(/is not imported/) })
    expect(imported[1]!.data.weightsHash).toBe(artefactHash)
    expect(await owner.get(`/models/${modelId}/versions/1/weights`)).toMatchObject({ weightsHash: artefactHash, weights: `/weights/sha256-${artefactHash.slice(2)}`, topology: imported[0]!.data.topology })

    // The validation set, content-addressed, registered.
    const contentHash = await apiShardWriter(owner.transport, owner.key).put(data.validation)
    const held = digits.decode(data.validation, {})
    await owner.command("RegisterDataset", { datasetId: "digits-heldout", name: "UCI digits (held out)", contentHash, sampleCount: held.count, split: "validation", shards: [], licence: "CC-BY-4.0", format: digits.data.format })

    // What onnxruntime says here, for comparison: the score must be exactly this.
    const session = await openOnnx(onnx, { inputs: ["input"], outputs: ["output"] })
    const expected = await digits.evaluateForeign!(held, session.run)
    await session.close()
    expect(expected.accuracy).toBeGreaterThan(0.8)

    // Refused requests append nothing: a training set, an unknown model, a repeat.
    expect(await failure(owner.command("RequestScoring", { modelId, version: 1, datasetId: "nope" }))).toMatchObject({ status: 404, code: "DatasetNotFound" })
    expect(await failure(owner.command("RequestScoring", { modelId: "M-999", version: 1, datasetId: "digits-heldout" }))).toMatchObject({ status: 404, code: "ModelNotFound" })
    const requested = (await owner.command("RequestScoring", { modelId, version: 1, datasetId: "digits-heldout", fee: "900" })).results[0]!.events[0]!.data
    expect(requested).toMatchObject({ scoringId: `${modelId}-v1-digits-heldout`, metric: "accuracy", artefact: { _tag: "Onnx", artefactHash }, judges: 3, fee: "900" })
    expect(await failure(owner.command("RequestScoring", { modelId, version: 1, datasetId: "digits-heldout" }))).toMatchObject({ status: 409, code: "ScoringAlreadyRequested" })
    expect(await failure(owner.get("/scorings/M-999-v1-nope"))).toMatchObject({ status: 404, code: "ScoringNotFound" })
    expect((await failure(owner.get("/scorings/not.a.stream"))).status).toBe(400)

    const events = await scoringEvents(net, requested.scoringId)
    const tail = net.log.slice(-20).join("\n")
    const drawn = events.find((e) => e.type === "ScoringJudgesDrawn")!.data
    expect(new Set(drawn.judges), tail).toEqual(new Set(judges))
    const scored = events.find((e) => e.type === "ModelVersionScored")?.data
    expect(scored, tail).toBeDefined()
    expect(scored.metrics).toEqual(expected)
    expect(new Set(scored.agreeing)).toEqual(new Set(["validator1", "validator2"]))
    expect(scored.disagreeing).toEqual(["validator3"])
    // Every judge committed before any revealed (nobody could copy).
    const firstReveal = events.findIndex((e) => e.type === "ScoreRevealed")
    expect(events.slice(0, firstReveal).filter((e) => e.type === "ScoreCommitted")).toHaveLength(3)
    // The fee: 300 to each agreeing judge, the lazy one's share back to the requester.
    const paid = events.filter((e) => e.type === "ScoringFeePaid").map((e) => [e.data.nodeId, e.data.amount])
    expect(new Set(paid.map(([n]) => n))).toEqual(new Set(["validator1", "validator2"]))
    expect(paid.every(([, a]) => a === "300")).toBe(true)
    expect(events.find((e) => e.type === "ScoringFeeRefunded")!.data.amount).toBe("300")

    // Read models: the version carries its score; the lazy judge's reputation falls, the honest ones earn.
    const position = events.at(-1)!.globalPosition
    const { model } = await owner.get(`/models/${modelId}?minPosition=${position}`)
    expect(model.origin).toMatchObject({ kind: "imported", framework: "onnx", opaque: expect.stringMatching(/is not imported/) })
    expect(model.versions[0].scores).toEqual([expect.objectContaining({ scoringId: requested.scoringId, datasetId: "digits-heldout", metrics: expected })])
    const lazy = (await owner.get(`/nodes/validator3?minPosition=${position}`)).node
    const honest = (await owner.get(`/nodes/validator1?minPosition=${position}`)).node
    expect(lazy.votes.disagreeing).toBe(1)
    expect(honest.votes.agreeing).toBe(1)
    expect(BigInt(honest.earned)).toBe(300n)
    expect(BigInt(lazy.earned)).toBe(0n)
    const requester = (await owner.get(`/balances/${owner.key.address}?minPosition=${position}`)).balance
    expect(requester).toMatchObject({ escrowed: "900", refunded: "300" })

    // Opaque: it cannot be trained, exports as the very file, forks and publishes through the DAO.
    const exported = await net.api.app.inject({ method: "GET", url: `/models/${modelId}/versions/1/export?format=onnx` })
    expect(exported.statusCode).toBe(200)
    expect(Buffer.from(exported.rawPayload).equals(Buffer.from(onnx))).toBe(true)
    expect(await owner.get(`/models/${modelId}/versions/1/export?format=manifest`)).toMatchObject({ framework: "onnx", workload: "digits", inputs: digitsManifest().inputs })
    // Not trainable: a task on it is refused, saying why.
    const task = await failure(
      owner.command("CreateTask", {
        taskId: "OPAQUE1",
        title: "fine-tune the opaque CNN",
        workload: "digits",
        base: { modelId, version: 1 },
        datasets: { training: ["digits-heldout"], validation: "digits-heldout" },
        objective: { metric: "accuracy", target: 0.99 },
        training: { epochsPerRound: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam", seed: 1 },
        criteria: { minTrainers: 1, validatorsPerResult: 3, quorum: 2, metricTolerance: 0.01, maxRounds: 1, roundDeadlineSeconds: 60, penalizeRejected: true },
        rewardSplit: { trainersBps: 7000, validatorsBps: 2000, dataProvidersBps: 1000 },
        budget: "1000"
      })
    )
    expect(task).toMatchObject({ status: 400, code: "TopologyInvalid", problem: { reason: expect.stringMatching(/opaque ONNX model .* not trained/) } })
    expect(await failure(owner.get(`/models/${modelId}/versions/1/export`))).toMatchObject({ status: 400, code: "ExportUnsupported" })
    const forked = (await owner.command("ForkModel", { parent: { modelId, version: 1 }, name: "digits CNN, our branch" })).results
    const child = forked.flatMap((r) => r.events).find((e) => e.type === "ModelRegistered")!.data
    expect(child.topology).toEqual(imported[0]!.data.topology)
    const published = await publishByDao(net, modelId, 1, "publish-opaque", judges)
    expect((await owner.get(`/models/${modelId}?minPosition=${published}`)).model.status).toBe("published")
  }, 300_000)

  it("a Layers model is scored in TF.js by the same protocol, its score equal to the workload's own evaluation", async () => {
    await using net = await networkHarness(nats.server.url, nodes.slice(0, 2).concat([{ nodeId: "validator3", role: "validator" }] as never), [], {})
    const owner = net.api.client
    const { tf } = await loadTf()
    for (const nodeId of judges) {
      await registerNode(owner, net.keyOf(nodeId), nodeId, ["validator"])
      await owner.as(net.keyOf(nodeId)).command("BondStake", { nodeId, amount: "5000" })
    }
    const mlp = digitsMlpLayers(tf, 4)
    const weightsHash = await apiWeightsWriter(owner.transport, owner.key).put(getWeightBytes(mlp))
    const modelId = (await owner.command("RegisterModel", { name: "digits mlp", topology: layersTopology(mlp), initialWeightsHash: weightsHash })).results[0]!.events[0]!.data.modelId as string
    const data = digits.publicData({ shards: 1, trainSamples: 10, heldOutSamples: 300 })
    const held = digits.decode(data.validation, {})
    const contentHash = await apiShardWriter(owner.transport, owner.key).put(data.validation)
    await owner.command("RegisterDataset", { datasetId: "digits-heldout", name: "UCI digits (held out)", contentHash, sampleCount: held.count, split: "validation", shards: [], licence: "CC-BY-4.0", format: digits.data.format })
    const expected = digits.evaluate(tf, mlp, held, {})
    mlp.dispose()

    const requested = (await owner.command("RequestScoring", { modelId, version: 1, datasetId: "digits-heldout", judges: 3 })).results[0]!.events[0]!.data
    expect(requested.artefact).toMatchObject({ _tag: "Layers", weightsHash })
    const events = await scoringEvents(net, requested.scoringId)
    const scored = events.find((e) => e.type === "ModelVersionScored")?.data
    expect(scored, net.log.slice(-20).join("\n")).toBeDefined()
    expect(scored.metrics).toEqual(expected)
    expect(scored.agreeing).toHaveLength(3)
    // Nothing paid without a fee; nothing refunded either.
    expect(events.filter((e) => e.type === "ScoringFeePaid" || e.type === "ScoringFeeRefunded")).toEqual([])
  }, 300_000)
})

/** A scoring's events once it has settled (scored or failed), from GET /scorings/:id. */
const scoringEvents = async (net: Awaited<ReturnType<typeof networkHarness>>, scoringId: string): Promise<Array<any>> => {
  for (let i = 0; i < 1_200; i++) {
    const answer = await net.api.client.get(`/scorings/${scoringId}`)
    if (answer.status === "scored" || answer.status === "failed") return answer.events
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`scoring ${scoringId} did not settle:\n${net.log.slice(-20).join("\n")}`)
}
