import { jetstream } from "@nats-io/jetstream"
import { describe, expect, it } from "vitest"
import { honestNodes, networkHarness, taskEvents } from "../support/networkHarness"
import { natsServerPerFile } from "../support/natsServer"

/**
 * Defence in depth behind the NATS permissions: bytes published on the log's
 * subjects by anyone holding a write credential (here: a plain connection,
 * as an admin could) are not sealed commits. They must never stop writers or
 * readers: readers skip and report them, appends link the chain over them,
 * the audit lists them by position.
 */
const nats = natsServerPerFile()

const enc = (s: string) => new TextEncoder().encode(s)

describe("foreign messages on the log", () => {
  it("garbage on the log stops nothing: a whole task completes, the chain verifies over it, the audit lists it", async () => {
    await using net = await networkHarness(nats.server.url, honestNodes)
    const js = jetstream(net.nc)
    const p = net.eventLog.subjectPrefix
    // Before anything: garbage on an anchor subject (the original attack), on the
    // very task stream about to be created, and a well-formed but unsealed commit.
    const poison = [
      await js.publish(`${p}.anchor.x`, enc("definitely not an envelope")),
      await js.publish(`${p}.task.POISON`, enc('{"events":[]}')),
      await js.publish(`${p}.node.ghost`, enc(JSON.stringify({ events: [{ type: "NodeRegistered", data: {} }] })))
    ].map((ack) => ack.seq)

    await net.createTask("POISON", { target: 0.9, maxRounds: 4 })
    // And more while the task runs.
    poison.push((await js.publish(`${p}.task.POISON`, enc("\u0000\u0001 binary junk"))).seq)
    const events = await net.waitForEnd("POISON", 150_000)
    expect(events.find((e) => e.type === "TaskCompleted"), net.log.slice(-20).join("\n")).toBeDefined()
    expect(events[0].type).toBe("TaskCreated")

    // Every reader keeps working: the chain verifies, linking over the foreign positions.
    const verify = await net.api.client.get("/events/verify")
    expect(verify.ok).toBe(true)
    expect(verify.foreignMessages.map((f: { globalPosition: number }) => f.globalPosition)).toEqual(poison)
    const audit = await net.api.client.get("/audit")
    expect(audit.ok, JSON.stringify(audit.problems.slice(0, 3))).toBe(true)
    expect(audit.foreignMessages.map((f: { globalPosition: number; stream: string }) => [f.globalPosition, f.stream])).toEqual([
      [poison[0], "anchor-x"],
      [poison[1], "task-POISON"],
      [poison[2], "node-ghost"],
      [poison[3], "task-POISON"]
    ])
    // The log pages past them; the task's own stream reads whole.
    expect((await taskEvents(net.api.client, "POISON")).length).toBe(events.length)
    // A commit right after a foreign message links to the last sealed event before it.
    const all = (await net.api.client.get(`/events?from=${poison[3]! - 1}&limit=5`)).events
    const after = all.find((e: { globalPosition: number }) => e.globalPosition > poison[3]!)
    const before = all.filter((e: { globalPosition: number }) => e.globalPosition < poison[3]!).at(-1)
    if (before && after) expect(after.prevHash).toBe(before.hash)
  }, 200_000)
})
