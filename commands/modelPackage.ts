import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Schema } from "effect"
import { NeuraModelManifest } from "../domain/model/manifest"
import type { NeuraClient } from "./client"
import { apiWeightsWriter } from "./weightsClient"

/**
 * A model package on disk, as a submitter prepares it: a folder with
 * `neura-model.json` and the artefact it names. For tfjs-layers and keras the
 * artefact is a Layers model.json; weight files it lists in `weightsManifest`
 * (tensorflowjs_converter's group*-shard*.bin) are read and inlined as base64
 * `weightData`, the one-file form ImportModel takes.
 */
export const readModelPackage = (dir: string): { manifest: NeuraModelManifest; artefact: Uint8Array } => {
  const manifest = Schema.decodeUnknownSync(NeuraModelManifest)(JSON.parse(readFileSync(join(dir, "neura-model.json"), "utf8")))
  const file = join(dir, manifest.artefact)
  const bytes = new Uint8Array(readFileSync(file))
  if (manifest.framework === "onnx") return { manifest, artefact: bytes }
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as { weightData?: string; weightsManifest?: Array<{ paths: Array<string> }> }
  if (doc.weightData === undefined && doc.weightsManifest) {
    const parts = doc.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dirname(file), p))))
    doc.weightData = Buffer.concat(parts).toString("base64")
  }
  return { manifest, artefact: new TextEncoder().encode(JSON.stringify(doc)) }
}

/** Upload a package's artefact (signed, by hash) and import it: the ImportModel outcome. */
export const importModelPackage = async (client: NeuraClient, dir: string, name: string) => {
  const { manifest, artefact } = readModelPackage(dir)
  const artefactHash = await apiWeightsWriter(client.transport, client.key).put(artefact)
  return client.command("ImportModel", { name, manifest, artefactHash })
}
