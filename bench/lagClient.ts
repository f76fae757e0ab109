import { parentPort, workerData } from "node:worker_threads"
import { generateKeyPair, signCommand } from "../infra/identity/signature"

/**
 * The lag rows' client, in its own thread: it signs a phase's RegisterNode
 * bodies, says so, and on "go" sends them over HTTP at a steady rate. Its own
 * heap and collections stay out of the API's thread, as a client's do in
 * another process; in the API's thread (light-my-request's inject) the client
 * promoted ~4 MB per scavenge at 1,000 commands/s, more than the API itself.
 */
interface Phase {
  readonly phase: string
  readonly count: number
  readonly rate: number
}
const { url } = workerData as { readonly url: string }
const port = parentPort!

port.on("message", async (message: Phase | "go") => {
  if (message === "go") return
  const { phase, count, rate } = message
  const bodies = Array.from({ length: count }, (_, i) => {
    const key = generateKeyPair()
    return JSON.stringify(signCommand(key, "RegisterNode", { nodeId: `lag${phase}${i}`, publicKey: key.publicKey, roles: ["trainer"], capabilities: [] }, { commandId: `lag-${phase}-${i}` }))
  })
  await new Promise<void>((go) => {
    port.once("message", () => go())
    port.postMessage({ signed: phase })
  })
  let failures = 0
  const start = performance.now()
  const inflight: Array<Promise<void>> = []
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    inflight.push(
      fetch(`${url}/commands/RegisterNode`, { method: "POST", headers: { "content-type": "application/json" }, body: bodies[i]! }).then(
        async (r) => {
          await r.arrayBuffer()
          if (r.status !== 201) failures++
        },
        () => void failures++
      )
    )
  }
  await Promise.all(inflight)
  port.postMessage({ done: phase, achieved: count / ((performance.now() - start) / 1000), failures })
})
