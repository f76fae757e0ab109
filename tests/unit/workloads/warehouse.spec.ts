import { describe, expect, it } from "vitest"
import { layoutOf, MAX_TURNS, SIZE, warehouse } from "../../../workloads/warehouse-agent/env"
import { ACTIONS, FEATURES, networkPolicy, runEpisode, type DenseLayer, type Policy } from "../../../workloads/warehouse-agent/agent"
import { esGradient } from "../../../workloads/warehouse-agent/es"

const key = (c: readonly [number, number]) => `${c[0]},${c[1]}`
const call = (name: string) => ACTIONS.findIndex((a) => (a.tool === "move" ? a.direction : a.tool) === name)

/** A hand-written policy over the agent's features: look when lost, walk to the target, pick, deliver. */
const scripted: Policy = (f) => {
  const [known, east, west, south, north, on, carrying, bN, bE, bS, bW, looked] = Array.from(f)
  const free = () => ["north", "east", "south", "west"][[bN, bE, bS, bW].findIndex((b) => !b)]!
  if (!known) return looked ? call(free()) : call("look")
  if (on) return call(carrying ? "use" : "pick")
  if (east && !bE) return call("east")
  if (west && !bW) return call("west")
  if (south && !bS) return call("south")
  if (north && !bN) return call("north")
  return call(free())
}

const randomLayers = (seed: number): Array<DenseLayer> => {
  let s = seed
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
  return [
    { kernel: Float32Array.from({ length: FEATURES * 8 }, next), bias: new Float32Array(8), inputs: FEATURES, units: 8, activation: "tanh" },
    { kernel: Float32Array.from({ length: 8 * ACTIONS.length }, next), bias: new Float32Array(ACTIONS.length), inputs: 8, units: ACTIONS.length, activation: "linear" }
  ]
}

describe("the warehouse (workloads/warehouse-agent/env.ts)", () => {
  it("draws the same layout for a seed, with the agent, package and drop-off on distinct free cells", () => {
    for (let seed = 0; seed < 50; seed++) {
      const l = layoutOf(seed)
      expect(layoutOf(seed)).toEqual(l)
      const cells = [l.start, l.package, l.dropOff].map(key)
      expect(new Set(cells).size).toBe(3)
      for (const c of cells) expect(l.shelves.has(c)).toBe(false)
      for (const c of [l.start, l.package, l.dropOff]) for (const v of c) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThan(SIZE)
    }
  })

  it("rewards delivery only with the package at the drop-off, penalises calls that do nothing, and ends after MAX_TURNS", () => {
    const world = warehouse(3)
    const useFirst = world.act({ tool: "use" })
    expect(useFirst).toMatchObject({ success: false, done: false, observation: { message: "you carry nothing" } })
    expect(useFirst.reward).toBeCloseTo(-0.06, 10)
    expect(world.act({ tool: "look" }).reward).toBeCloseTo(-0.01, 10)
    // Looking again from the same cell shows nothing new.
    expect(world.act({ tool: "look" }).reward).toBeCloseTo(-0.06, 10)
    let last = world.act({ tool: "pick" })
    for (let i = 4; i < MAX_TURNS; i++) last = world.act({ tool: "look" })
    expect(last.done).toBe(true)
    expect(() => world.act({ tool: "look" })).toThrow(/over/)
  })

  it("is solvable from the agent's features: a scripted policy delivers in most unseen warehouses", () => {
    const episodes = Array.from({ length: 200 }, (_, i) => runEpisode(scripted, 1_000_000 + i))
    expect(episodes.filter((e) => e.success).length).toBeGreaterThan(80)
    const delivered = runEpisode(scripted, episodes.find((e) => e.success)!.seed, true)
    const tools = delivered.transcript!.map((t) => t.call.tool)
    expect(tools.indexOf("pick")).toBeLessThan(tools.lastIndexOf("use"))
    expect(delivered.transcript!.at(-1)).toMatchObject({ call: { tool: "use" }, reward: 0.99, observation: { message: "you deliver the package" } })
    expect(delivered.transcript!.find((t) => t.call.tool === "pick" && t.observation.carrying)).toMatchObject({ reward: 0.49 })
  })
})

describe("evolution strategies (workloads/warehouse-agent/es.ts)", () => {
  it("replays exactly: the same weights, episodes and step seed give the same gradient; another step seed another", async () => {
    const layers = randomLayers(5)
    const a = await esGradient(layers, [1, 2, 3, 4], { sigma: 0.5, population: 8 }, 77)
    expect(await esGradient(layers, [1, 2, 3, 4], { sigma: 0.5, population: 8 }, 77)).toEqual(a)
    expect(a.gradient.length).toBe(FEATURES * 8 + 8 + 8 * ACTIONS.length + ACTIONS.length)
    expect((await esGradient(layers, [1, 2, 3, 4], { sigma: 0.5, population: 8 }, 78)).gradient).not.toEqual(a.gradient)
  })

  it("climbs: descending its estimate raises the mean return of a policy on its episodes", async () => {
    let layers = randomLayers(9)
    const seeds = Array.from({ length: 32 }, (_, i) => i + 1)
    const meanReturn = (ls: Array<DenseLayer>) => seeds.reduce((s, seed) => s + runEpisode(networkPolicy(ls), seed).return, 0) / seeds.length
    const before = meanReturn(layers)
    for (let step = 0; step < 30; step++) {
      const { gradient } = await esGradient(layers, seeds.slice((step * 8) % 32, (step * 8) % 32 + 8), { sigma: 0.5, population: 16 }, step)
      let o = 0
      const descend = (a: Float32Array) => a.map((v) => v - 0.2 * gradient[o++]!)
      layers = layers.map((l) => ({ ...l, kernel: descend(l.kernel), bias: descend(l.bias) }))
    }
    expect(meanReturn(layers)).toBeGreaterThan(before + 0.3)
  })
})
