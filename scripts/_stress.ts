import { Effect, Stream } from "effect"
import { startNatsServer } from "../infra/nats/server"
import { jetStreamLogFixture } from "../tests/support/jetStreamFixture"
import { budgetEscrowed, nodeRegistered } from "../tests/support/events"
const server = await startNatsServer()
const fx = await jetStreamLogFixture(server.url)
const w2 = await fx.openWriter()
let stop = false
let n = 0
const writer = (async () => { while (!stop) { const i = n++; await Effect.runPromise(w2.store.append({ stream: `node-W${i}`, expectedRevision: "no_stream", events: i % 3 ? [nodeRegistered(`W${i}`)] : [budgetEscrowed(`W${i}`, 1n), budgetEscrowed(`W${i}`, 2n)], commandId: `w${i}` })) } })()
let bad = 0
for (let k = 0; k < 60; k++) {
  await new Promise(r => setTimeout(r, 30))
  const head = await Effect.runPromise(fx.store.headPosition)
  const from = Math.max(1, head - 150)
  const got = await Effect.runPromise(Stream.runCollect(fx.store.readAll({ fromPosition: from }).pipe(Stream.takeWhile(e => e.globalPosition <= head))))
  const commits = new Set(got.map(e => e.globalPosition))
  const incomplete = got.filter(e => e.indexInCommit === e.commitSize - 1).length !== commits.size
  if (commits.size !== head - from + 1 || incomplete) { bad++; console.log("short read", { from, head, commits: commits.size, expected: head - from + 1, incomplete, last: got[got.length-1]?.globalPosition }) }
}
stop = true; await writer
console.log("bad reads", bad, "of 60")
await fx[Symbol.asyncDispose](); await server.stop()
