import { describe, expect, it } from "vitest"
import { seededRandom } from "../../infra/ml/model"
import { RecentMap } from "../../infra/recentMap"

describe("RecentMap (bounded cache of what was used lately)", () => {
  it("given random sets, reads and deletes: never more than its capacity, never a stale value, always the most recently used half (less what was deleted)", () => {
    for (const capacity of [2, 3, 8, 50]) {
      const random = seededRandom(capacity)
      const map = new RecentMap<string, number>(capacity)
      // The model: the latest value of every key set and not deleted, and the keys by recency of use.
      const latest = new Map<string, number>()
      const used: Array<string> = []
      const touch = (key: string) => {
        const at = used.indexOf(key)
        if (at >= 0) used.splice(at, 1)
        used.push(key)
      }
      for (let step = 0; step < 5_000; step++) {
        const key = `k${Math.floor(random() * capacity * 3)}`
        const op = random()
        if (op < 0.5) {
          map.set(key, step)
          latest.set(key, step)
          touch(key)
        } else if (op < 0.9) {
          const value = map.get(key)
          if (value !== undefined) {
            expect(value).toBe(latest.get(key))
            touch(key)
          }
        } else {
          // A deleted key keeps its place in the order of use (it was used), and is gone.
          map.delete(key)
          latest.delete(key)
          touch(key)
          expect(map.has(key)).toBe(false)
        }
        expect(map.size).toBeLessThanOrEqual(capacity)
        for (const recent of used.slice(-Math.floor(capacity / 2))) expect(map.has(recent), `${recent} at step ${step}`).toBe(latest.has(recent))
      }
    }
  })

  it("when a key is set again, the newer value wins even after the older copy's generation would have come back", () => {
    const map = new RecentMap<string, string>(4)
    map.set("a", "old")
    map.set("b", "x") // young is full: {a, b} becomes the old generation
    map.set("a", "new")
    map.set("c", "y") // rotates again: {a: new, c} old, the first {a: old, b} dropped
    expect(map.get("a")).toBe("new")
    expect(map.get("b")).toBeUndefined()
  })

  it("clear empties both generations; a capacity under 2 is refused", () => {
    const map = new RecentMap<string, number>(4)
    for (const k of ["a", "b", "c"]) map.set(k, 1)
    map.clear()
    expect(map.size).toBe(0)
    expect(map.has("a") || map.has("c")).toBe(false)
    expect(() => new RecentMap(1)).toThrow(RangeError)
    expect(() => new RecentMap(2.5)).toThrow(RangeError)
  })
})
