import { describe, expect, it } from "vitest"
import { loadTf } from "../../../infra/ml/tf"
import { layersTopology } from "../../../nodes/workloadTask"
import { spokenDigitsLayers } from "../../../workloads/spoken-digits"
import { RECIPE } from "../../../workloads/spoken-digits/recipe"
import { honestNodes, networkHarness } from "../../support/networkHarness"
import { natsServerPerFile } from "../../support/natsServer"
import { checkWorkloadRun } from "../../support/workloadE2e"

/**
 * Audio–text trained by the network: digit words synthesised by espeak-ng
 * (shards of PCM, content-addressed), log-mel frames computed by every node
 * in TypeScript, a small CNN; objective accuracy on voices never heard in
 * training. The datasets' registrations carry the synthesis recipe.
 */
const nats = natsServerPerFile()

describe("spoken-digits end to end (real NATS, real TF.js, espeak-ng speech)", () => {
  it("two trainers and three validators train a recogniser over two rounds: held-out accuracy on unseen voices improves, everyone paid, the recipe recorded", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes, [], { protocol: { commitSeconds: 120 } })
    const { tf } = await loadTf()
    const layers = spokenDigitsLayers(tf, 3)
    const topology = layersTopology(layers)
    layers.dispose()
    const budget = 10_000_000n
    const created = await net.createWorkloadTask("SPEECH1", {
      workload: "spoken-digits",
      topology,
      data: { shards: 2, trainSamples: 400, heldOutSamples: 150 },
      objective: { metric: "accuracy", target: 0.999 },
      epochsPerRound: 2,
      learningRate: 0.005,
      maxRounds: 2,
      // Judges on a loaded machine may be slow: a long deadline gives the round a long verification window.
      roundDeadlineSeconds: 1200,
      budget
    })
    const run = await checkWorkloadRun(net, { taskId: "SPEECH1", modelId: created.modelId, workload: "spoken-digits", metric: "accuracy", rounds: 2, budget, validationHash: created.validation.contentHash })
    expect(run.after).toBeGreaterThan(0.3)
    // Both datasets were registered with the recipe that regenerates them; the held-out voices are not the training voices.
    const registered = (await net.api.client.get("/events?aggregate=dataset&limit=1000")).events.filter((e: any) => e.type === "DatasetRegistered" && e.data.format === "speech-pcm16-jsonl")
    const recipes = Object.fromEntries(registered.map((e: any) => [e.data.split, JSON.parse(e.data.recipe)]))
    expect(recipes.training).toMatchObject({ split: "training", trainingVariants: [...RECIPE.trainingVariants], seed: RECIPE.seed })
    expect(recipes.validation).toMatchObject({ split: "heldOut", heldOutVariants: [...RECIPE.heldOutVariants] })
  }, 600_000)
})
