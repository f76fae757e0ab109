import { describe, expect, it } from "vitest"
import { createRequire } from "node:module"
import { sha256Hex } from "../../../infra/contentHash"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun, publishByDao } from "../../support/workloadE2e"

/**
 * Generative text trained by the network: a character-level transformer
 * language model on Moby-Dick, objective held-out perplexity (minimised).
 * After the DAO publishes the last version, it generates: the same request
 * gives the same text. Small configuration for CI.
 */
const nats = natsServerPerFile()

describe("moby-chars end to end (real NATS, real TF.js)", () => {
  it("two trainers and three validators lower its perplexity over two rounds; the published version generates deterministically per seed", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes, [], { protocol: { votingSeconds: 1, commitSeconds: 120 } })
    const budget = 10_000_000n
    const created = await net.createWorkloadTask("MOBY1", {
      workload: "moby-chars",
      topology: { kind: "transformer-lm", vocab: 97, seqLen: 32, dModel: 16, heads: 2, blocks: 1, ffn: 32, seed: 5 },
      data: { shards: 2, trainSamples: 12_000, heldOutSamples: 3_000 },
      objective: { metric: "perplexity", target: 1.5 },
      learningRate: 0.01,
      metricTolerance: 0.05,
      maxRounds: 2,
      // Judges on a loaded machine may be slow: a long deadline gives the round a long verification window.
      roundDeadlineSeconds: 1200,
      budget
    })
    const run = await checkWorkloadRun(net, { taskId: "MOBY1", modelId: created.modelId, workload: "moby-chars", metric: "perplexity", rounds: 2, budget, validationHash: created.validation.contentHash })
    const version = run.versions[run.versions.length - 1].data.version as number
    const url = `/models/${created.modelId}/versions/${version}/generate`
    const request = { prompt: "Call me Ishmael. ", maxTokens: 40, temperature: 0.8, seed: 42 }
    const client = net.api.client

    // Not published yet: no generation.
    await expect(client.post(url, request)).rejects.toMatchObject({ status: 409 })
    // The DAO publishes it: proposal by a staked node, stake-weighted votes, closed after the voting period.
    await publishByDao(net, created.modelId, version, "publish-moby")

    const a = await client.post(url, request)
    const b = await client.post(url, request)
    expect(a.text).toHaveLength(40)
    expect(b.text).toBe(a.text)
    const greedy = await client.post(url, { ...request, temperature: 0 })
    expect(await client.post(url, { ...request, temperature: 0, seed: 7 })).toMatchObject({ text: greedy.text })
    await expect(client.post(url, { ...request, maxTokens: 5000 })).rejects.toMatchObject({ status: 400 })

    // Exported as TF.js Layers artifacts: the inlined weights are exactly the version's recorded bytes.
    const exported = await client.get(`/models/${created.modelId}/versions/${version}/export`)
    expect(exported).toMatchObject({ workload: "moby-chars", format: "tfjs-layers-model" })
    expect(sha256Hex(Buffer.from(exported.weightData, "base64"))).toBe(exported.weightsHash)
    expect(JSON.stringify(exported.modelTopology)).toContain("NeuraSelfAttention")
    // And as ONNX, attention included: onnxruntime answers a next-character distribution per position.
    const onnxBytes = await net.api.app.inject({ method: "GET", url: `/models/${created.modelId}/versions/${version}/export?format=onnx` })
    expect(onnxBytes.statusCode).toBe(200)
    const ort = createRequire(import.meta.url)("onnxruntime-node")
    const session = await ort.InferenceSession.create(new Uint8Array(onnxBytes.rawPayload))
    const out = await session.run({ input: new ort.Tensor("float32", new Float32Array(32 * 97), [1, 32, 97]) })
    expect(out.output.dims).toEqual([1, 32, 97])
  }, 600_000)
})
