import { describe, expect, it } from "vitest"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun } from "../../support/workloadE2e"

/**
 * Image–text alignment trained by the network: a CLIP-style dual encoder on
 * emoji images and their names (two inputs, a contrastive loss within each
 * batch), objective text→image recall@5 on held-out emoji whose names it
 * never saw. Small configuration for CI.
 */
const nats = natsServerPerFile()

describe("emoji-clip end to end (real NATS, real TF.js)", () => {
  it("two trainers and three validators align images and words over two rounds: held-out recall@5 improves, everyone paid", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes, [], { protocol: { commitSeconds: 120 } })
    const budget = 10_000_000n
    const created = await net.createWorkloadTask("EMOJI1", {
      workload: "emoji-clip",
      topology: { kind: "clip-dual-encoder", vocab: 512, textLen: 12, hidden: 64, embed: 32, scale: 10, seed: 3 },
      data: { shards: 2, trainSamples: 600, heldOutSamples: 150 },
      objective: { metric: "recall5", target: 0.99 },
      epochsPerRound: 3,
      learningRate: 0.003,
      maxRounds: 2,
      // Judges on a loaded machine may be slow: a long deadline gives the round a long verification window.
      roundDeadlineSeconds: 1200,
      budget
    })
    const run = await checkWorkloadRun(net, { taskId: "EMOJI1", modelId: created.modelId, workload: "emoji-clip", metric: "recall5", rounds: 2, budget, validationHash: created.validation.contentHash })
    expect(run.after).toBeGreaterThan(5 / 150)
  }, 600_000)
})
