import { describe, expect, it } from "vitest"
import { registerModel } from "../../../commands/samples"
import { apiHarness } from "../../support/apiHarness"
import { digitsManifest } from "../../support/manifests"

/**
 * The model routes answer by what the model is (in-memory API, no TF.js
 * needed for any of these): a classifier neither generates nor runs episodes,
 * published or not; its neura-model.json comes out of the export route; an
 * unknown export format is a 400.
 */
describe("inference and export routes: what a model is decides", () => {
  it("a digits classifier: generate 400 NotGenerative, episodes 400 NotAnAgent (before any 'not published'), its manifest exported", async () => {
    await using api = await apiHarness()
    const modelId = await registerModel(api.client)
    await expect(api.client.post(`/models/${modelId}/versions/1/generate`, { prompt: "a", maxTokens: 3, temperature: 0, seed: 1 })).rejects.toMatchObject({ status: 400, problem: { code: "NotGenerative" } })
    await expect(api.client.post(`/models/${modelId}/versions/1/episodes`, { seed: 1 })).rejects.toMatchObject({ status: 400, problem: { code: "NotAnAgent" } })
    expect(await api.client.get(`/models/${modelId}/versions/1/export?format=manifest`)).toEqual(
      digitsManifest({ artefact: `${modelId}-v1.onnx`, producer: expect.stringContaining(`NeuraLink ${modelId} v1`) as unknown as string })
    )
    await expect(api.client.get(`/models/${modelId}/versions/1/export?format=pdf`)).rejects.toMatchObject({ status: 400, problem: { code: "InvalidRequest" } })
    await expect(api.client.get(`/models/${modelId}/versions/9/export?format=manifest`)).rejects.toMatchObject({ status: 404 })
  })
})
