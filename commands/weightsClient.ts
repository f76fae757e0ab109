import { signCommand, type KeyPair } from "../infra/identity/signature"
import { objectName, weightsHash, type WeightsStoreShape } from "../infra/weights/WeightsStore"
import { ApiError, type Transport } from "./client"

/**
 * Upload weights through the API (the only writer of the weights bucket):
 * the `put` half of a node's WeightsStore. Idempotent: the same bytes are
 * stored once, under their hash.
 */
export const apiWeightsWriter = (transport: Transport, key: KeyPair, options: { chainId?: number } = {}): Pick<WeightsStoreShape, "put"> =>
  apiBlobWriter(transport, key, { ...options, path: "/weights", uploadType: "UploadWeights" })

/** Upload dataset shards through the API (PUT /datasets/shards/sha256-<hex>, signed UploadShard). */
export const apiShardWriter = (transport: Transport, key: KeyPair, options: { chainId?: number } = {}): Pick<WeightsStoreShape, "put"> =>
  apiBlobWriter(transport, key, { ...options, path: "/datasets/shards", uploadType: "UploadShard" })

const apiBlobWriter = (transport: Transport, key: KeyPair, options: { chainId?: number; path: string; uploadType: string }): Pick<WeightsStoreShape, "put"> => ({
  async put(bytes) {
    const hash = weightsHash(bytes)
    const name = objectName(hash)
    const signed = signCommand(key, options.uploadType, { name, bytes: bytes.length }, { commandId: name, ...(options.chainId ? { chainId: options.chainId } : {}) })
    const response = await transport.request("PUT", `${options.path}/${name}`, bytes, {
      "neura-signer": signed.signer,
      "neura-issued-at": signed.issuedAt,
      "neura-signature": signed.signature
    })
    if (response.status >= 400) throw new ApiError(response.status, response.body)
    return hash
  }
})
