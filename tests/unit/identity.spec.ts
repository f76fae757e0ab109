import { afterAll, describe, expect, it } from "vitest"
import { recoverInPool, recoverSignerAsync, stopRecoverPool } from "../../infra/identity/recoverPool"
import { commandDigest, generateKeyPair, recoverSigner, recoverSignerUncached, signCommand, signDigest } from "../../infra/identity/signature"

afterAll(async () => {
  await stopRecoverPool()
})

describe("secp256k1 identities", () => {
  it("a signed command recovers to its signer: in worker threads (native and noble) and in-process alike", async () => {
    for (let i = 0; i < 5; i++) {
      const key = generateKeyPair()
      const body = signCommand(key, "RegisterNode", { n: i })
      const digest = commandDigest({ type: "RegisterNode", commandId: body.commandId, issuedAt: body.issuedAt, signer: body.signer, payload: body.payload })
      // Worker threads (native, and noble: the fallback), the API's path, then the uncached in-process path.
      expect(await recoverInPool(digest, body.signature, "native")).toBe(key.address)
      expect(await recoverInPool(digest, body.signature, "noble")).toBe(key.address)
      expect(await recoverSignerAsync(digest, body.signature)).toBe(key.address)
      expect(recoverSignerUncached(digest, body.signature)).toBe(key.address)
      expect(recoverSigner(digest, body.signature)).toBe(key.address)
    }
  })
  it("tampered, malformed or wrong-v signatures recover to someone else or to nothing, in both", async () => {
    const key = generateKeyPair()
    const digest = commandDigest({ type: "T", commandId: "c", issuedAt: "2026-11-24T10:00:00.000Z", signer: key.address, payload: {} })
    const signature = signDigest(digest, key.secretKey)
    const flipped = `${signature.slice(0, 10)}${signature[10] === "0" ? "1" : "0"}${signature.slice(11)}`
    const badV = `${signature.slice(0, 130)}1d`
    const zeroR = `0x${"00".repeat(32)}${signature.slice(66)}`
    const zeroS = `${signature.slice(0, 66)}${"00".repeat(32)}${signature.slice(130)}`
    const rAboveN = `0x${"ff".repeat(32)}${signature.slice(66)}`
    for (const s of [flipped, badV, "0x1234", `0x${"00".repeat(65)}`, zeroR, zeroS, rAboveN]) {
      const fromWorker = await recoverInPool(digest, s, "native")
      expect(await recoverInPool(digest, s, "noble")).toBe(fromWorker)
      expect(await recoverSignerAsync(digest, s)).toBe(recoverSignerUncached(digest, s))
      const inProcess = recoverSignerUncached(digest, s)
      expect(inProcess).not.toBe(key.address)
      expect(fromWorker).toBe(inProcess)
    }
  })
  it("recoveries asked for in one turn travel as one batch, and each gets its own answer", async () => {
    // Valid signatures of different keys, interleaved with invalid ones, all asked for at once.
    const asked = Array.from({ length: 60 }, (_, i) => {
      const key = generateKeyPair()
      const digest = commandDigest({ type: "T", commandId: `b${i}`, issuedAt: "2026-11-24T10:00:00.000Z", signer: key.address, payload: { i } })
      const signature = signDigest(digest, key.secretKey)
      return { digest, signature: i % 3 === 2 ? `${signature.slice(0, 130)}1d` : signature, signer: i % 3 === 2 ? undefined : key.address }
    })
    for (const engine of ["native", "noble"] as const) {
      const answers = await Promise.all(asked.map(({ digest, signature }) => recoverInPool(digest, signature, engine)))
      expect(answers).toEqual(asked.map((a) => a.signer))
    }
  })
  it("recoveries in flight when their worker thread goes are answered in-process, and the next ones start a new pool", async () => {
    const key = generateKeyPair()
    const signed = Array.from({ length: 200 }, (_, i) => {
      const digest = commandDigest({ type: "T", commandId: `c${i}`, issuedAt: "2026-11-24T10:00:00.000Z", signer: key.address, payload: { i } })
      return { digest, signature: signDigest(digest, key.secretKey) }
    })
    const answers = signed.map(({ digest, signature }) => recoverInPool(digest, signature, "native"))
    // Terminating the workers now leaves most of those 200 unanswered by them.
    await stopRecoverPool()
    expect(await Promise.all(answers)).toEqual(signed.map(() => key.address))
    expect(await recoverInPool(signed[0]!.digest, signed[0]!.signature, "native")).toBe(key.address)
  })
})
