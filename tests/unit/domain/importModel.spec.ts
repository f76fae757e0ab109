import { describe, expect, it } from "vitest"
import { model } from "../../../domain/model"
import { ImportModel } from "../../../domain/model/commands"
import type { NeuraModelManifest } from "../../../domain/model/manifest"
import { manifestProblem } from "../../../workloads/kit/importers"
import { workloads } from "../../../workloads/registry"
import { deciderSpec } from "../../support/deciderSpec"
import { digitsManifest } from "../../support/manifests"
import { hash32 } from "../../support/events"
import { T0, modelId, owner } from "../../support/fixtures"

const spec = deciderSpec(model)
const manifest = digitsManifest({ producer: "PyTorch 1.13" })
const topology = { class_name: "Sequential", config: { name: "imported", layers: [] } }
const importing = (conversion: ConstructorParameters<typeof ImportModel>[0]["conversion"]) =>
  new ImportModel({ modelId, name: "digits from torch", manifest, artefactHash: hash32(0xa1), conversion, actor: owner, at: T0 })
const converted = importing({ _tag: "Converted", topology, topologyHash: hash32(0x70), weightsHash: hash32(0xb0) })

describe("ImportModel (decider)", () => {
  it("registers a converted model as v1, its origin naming the artefact and the manifest", () =>
    spec
      .given([])
      .when(converted)
      .then([
        { _tag: "ModelRegistered", modelId, name: "digits from torch", description: "", owner, topology, topologyHash: hash32(0x70), origin: { _tag: "Imported", artefactHash: hash32(0xa1), manifest }, registeredAt: T0 },
        { _tag: "ModelVersionCreated", modelId, version: 1, weightsHash: hash32(0xb0), lineage: { results: [], datasets: [], nodes: [] }, createdBy: owner, createdAt: T0 }
      ]))

  it("refuses what the API could not convert, with its reason", () =>
    spec.given([]).when(importing({ _tag: "Refused", reason: "ONNX operator Conv is not imported" })).thenFails("ImportRefused", { reason: "ONNX operator Conv is not imported" }))

  it("once per model id", () =>
    spec
      .given([])
      .when(converted)
      .thenEvents((events) => spec.given(events).when(converted).thenFails("ModelAlreadyRegistered")))
})

describe("a manifest against its workload (manifestProblem)", () => {
  const digits = workloads.get("digits")
  it("accepts one that matches the workload's inputs, outputs, processing and metrics", () => expect(manifestProblem(manifest, digits)).toBeUndefined())
  it.each([
    [{ workload: "nope" }, undefined, /unknown workload nope/],
    [{ metric: "perplexity" }, digits, /does not measure perplexity/],
    [{ preprocessing: "pixels-0-255" }, digits, /feeds models pixel-counts-over-16/],
    [{ postprocessing: "logits" }, digits, /reads outputs as class-probabilities/],
    [{ inputs: [{ name: "x", shape: [null, 784], dtype: "float32" as const }] }, digits, /shape \[batch, 784\].*\[batch, 64\]/],
    [{ outputs: [{ name: "y", shape: [null, 10], dtype: "int64" as const }] }, digits, /int64/],
    [{ inputs: [manifest.inputs[0]!, manifest.inputs[0]!] }, digits, /has 1 inputs, the manifest 2/],
    [{ workload: "moby-chars", preprocessing: "x" }, workloads.get("moby-chars"), /takes no imported models/]
  ])("refuses %j", (change, workload, reason) => expect(manifestProblem({ ...manifest, ...change } as NeuraModelManifest, workload)).toMatch(reason))
})
