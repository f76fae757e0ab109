import { describe, expect, it } from "vitest"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun } from "../../support/workloadE2e"

/**
 * Text classification trained by the network: spam vs ham on the
 * SpamAssassin corpus with a small transformer encoder (one-hot × matrix
 * embeddings, self-attention, mean pooling), objective F1 on held-out mail.
 * Small configuration (640 messages, one block, 64 words) so CI stays short; the
 * example (examples/spam-transformer.json) is the larger one.
 */
const nats = natsServerPerFile()

describe("spam-transformer end to end (real NATS, real TF.js)", () => {
  it("two trainers and three validators train it for two rounds: a verified version per round with a better held-out F1, everyone paid", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes, [], { protocol: { commitSeconds: 120 } })
    const budget = 10_000_000n
    const created = await net.createWorkloadTask("SPAM1", {
      workload: "spam-transformer",
      topology: { kind: "transformer-classifier", vocab: 1024, seqLen: 64, dModel: 16, heads: 2, blocks: 1, ffn: 32, seed: 7 },
      data: { shards: 2, trainSamples: 640, heldOutSamples: 200 },
      epochsPerRound: 3,
      objective: { metric: "f1", target: 0.999 },
      learningRate: 0.01,
      maxRounds: 2,
      // Judges on a loaded machine may be slow: a long deadline gives the round a long verification window.
      roundDeadlineSeconds: 1200,
      budget
    })
    const run = await checkWorkloadRun(net, { taskId: "SPAM1", modelId: created.modelId, workload: "spam-transformer", metric: "f1", rounds: 2, budget, validationHash: created.validation.contentHash, timeoutMs: 200_000 })
    expect(run.events.find((e) => e.type === "TaskExhausted")).toBeDefined()
  }, 600_000)
})
