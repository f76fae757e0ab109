import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { EventStore } from "../../../domain/ports"
import { apiHarness } from "../../support/apiHarness"
import { nodeRegistered } from "../../support/events"

describe("GET /events paging", () => {
  it("pages never drop or repeat an event, whatever the commit sizes and page sizes (cursor = position.index)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 9 }),
        async (commitSizes, limit) => {
          await using api = await apiHarness()
          const store = await api.runtime.runPromise(EventStore.useSync((s) => s))
          for (const [c, size] of commitSizes.entries()) {
            await Effect.runPromise(
              store.append({
                stream: `node-C${c}`,
                expectedRevision: "no_stream",
                events: Array.from({ length: size }, (_, i) => nodeRegistered(`C${c}-${i}`)),
                commandId: `c${c}`
              })
            )
          }
          const seen: Array<string> = []
          let from = "1"
          for (let pages = 0; pages < 200; pages++) {
            const page = await api.client.get(`/events?from=${from}&limit=${limit}`)
            seen.push(...page.events.map((e: { globalPosition: number; indexInCommit: number }) => `${e.globalPosition}.${e.indexInCommit}`))
            if (page.events.length < limit) break
            from = page.next
          }
          const expected = commitSizes.flatMap((size, c) => Array.from({ length: size }, (_, i) => `${c + 1}.${i}`))
          expect(seen).toEqual(expected)
        }
      ),
      { numRuns: 40 }
    )
  })

  it("refuses a malformed cursor with 400", async () => {
    await using api = await apiHarness()
    for (const bad of ["0", "-1", "1.x", "abc", "1.2.3"]) {
      const r = await api.app.inject({ method: "GET", url: `/events?from=${bad}` })
      expect([bad, r.statusCode, r.json().code]).toEqual([bad, 400, "InvalidRequest"])
    }
  })
})
