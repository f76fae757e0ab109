import { getSha256Backend, Objm } from "@nats-io/obj"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { natsOptions } from "../../infra/nats/NatsClient"
import { objectName, objectStoreWeights, WeightsUnavailable, weightsHash, weightsMissing } from "../../infra/weights/WeightsStore"
import { startNatsServer, type NatsServer } from "../support/natsServer"

/**
 * The content-addressed store on a real JetStream object store: small
 * objects are read chunk by chunk with direct gets, large ones through the
 * object store's consumer; both must give back exactly the stored bytes,
 * and both must refuse bytes that do not hash to the name asked for.
 */
let server: NatsServer
let nc: NatsConnection
beforeAll(async () => {
  server = await startNatsServer()
  nc = await connect(natsOptions({ servers: server.url }))
  await new Objm(nc).create("weights_spec")
})
afterAll(async () => {
  await nc?.close()
  await server?.stop()
})

// Deterministic bytes that differ chunk to chunk (a reordered or repeated chunk changes the hash).
const bytesOf = (size: number, salt: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + salt + (i >> 17)) % 251)

describe("objectStoreWeights", () => {
  it.each([
    ["empty", 0],
    ["one chunk", 10_000],
    ["exactly one chunk", 128 * 1024],
    ["three chunks (direct gets)", 300_000],
    ["twenty chunks (the object store's consumer)", 20 * 128 * 1024 + 5]
  ])("gives back exactly what was put: %s", async (_, size) => {
    const store = await objectStoreWeights(nc, "weights_spec")
    const bytes = bytesOf(size, size % 7)
    const hash = await store.put(bytes)
    expect(hash).toBe(weightsHash(bytes))
    expect(await store.has(hash)).toBe(true)
    const read = await store.get(hash)
    expect(read.length).toBe(size)
    expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true)
  })

  it("hashes objects with node:crypto, and what it writes reads back through the object store's own checked read", async () => {
    const store = await objectStoreWeights(nc, "weights_spec")
    expect(getSha256Backend()).toBe("native")
    // The object store's getBlob recomputes the SHA-256 and refuses a digest that does not match.
    for (const size of [1, 200_000, 20 * 128 * 1024 + 5]) {
      const bytes = bytesOf(size, 3)
      const hash = await store.put(bytes)
      const read = await (await new Objm(nc).open("weights_spec")).getBlob(objectName(hash))
      expect(read && Buffer.from(read).equals(Buffer.from(bytes))).toBe(true)
      const info = await (await new Objm(nc).open("weights_spec")).info(objectName(hash))
      expect(info?.digest).toBe(`SHA-256=${Buffer.from(hash.slice(2), "hex").toString("base64url")}=`)
    }
  })

  it("answers 'not stored' for a hash nobody put", async () => {
    const store = await objectStoreWeights(nc, "weights_spec")
    const missing = weightsHash(bytesOf(10, 99))
    const error = await store.get(missing).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeightsUnavailable)
    expect(weightsMissing(error)).toBe(true)
    expect((error as WeightsUnavailable).reason).toBe("not stored")
  })

  it.each([
    ["small (direct gets)", 1000],
    ["large (consumer)", 20 * 128 * 1024]
  ])("refuses an object whose bytes do not hash to its name: %s", async (_, size) => {
    // Written around the store (as a leaked write credential could): the name claims other bytes.
    const claimed = weightsHash(bytesOf(size, 1))
    await (await new Objm(nc).open("weights_spec")).putBlob({ name: objectName(claimed) }, bytesOf(size, 2))
    const store = await objectStoreWeights(nc, "weights_spec")
    const error = await store.get(claimed).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeightsUnavailable)
    expect((error as WeightsUnavailable).reason).toMatch(/^stored bytes hash to 0x[0-9a-f]{64}$/)
    expect(weightsMissing(error)).toBe(true)
  })
})
