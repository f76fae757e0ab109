import { seededRandom } from "../../infra/ml/model"

/**
 * A warehouse an agent works in by calling tools: fetch the package and
 * deliver it to the drop-off. Partially observable: the agent sees only what
 * its tools return (`look` shows 3 cells around it, every other tool the 4
 * cells next to it). Deterministic for a seed: the layout is drawn from the
 * seed and nothing else is random, so any episode can be replayed exactly.
 *
 * Tools: look · move {direction: north|east|south|west} · pick · use.
 * Rewards: −0.01 per call, −0.05 for a call that does nothing (bumping into a
 * shelf, picking where there is no package, using away from the drop-off or
 * without the package, looking again from where it last looked), +0.5 on
 * picking the package, +1 on delivering it (the episode ends, a success),
 * and +0.1 per cell a move brings the agent closer to its current goal (the
 * package, then the drop-off; −0.1 per cell farther): potential-based
 * shaping, which leaves the best policy unchanged but gives a learner a
 * gradient long before its first delivery (Ng, Harada & Russell 1999).
 * An episode ends after MAX_TURNS calls otherwise.
 */
export const SIZE = 7
export const MAX_TURNS = 40
export const SHELVES = 3
export const DIRECTIONS = ["north", "east", "south", "west"] as const
export type Direction = (typeof DIRECTIONS)[number]
const STEP: Record<Direction, readonly [number, number]> = { north: [0, -1], east: [1, 0], south: [0, 1], west: [-1, 0] }

export type ToolCall = { readonly tool: "look" } | { readonly tool: "move"; readonly direction: Direction } | { readonly tool: "pick" } | { readonly tool: "use" }

/** What the agent can see: cells relative to itself (dx east, dy south) that hold something. */
export interface Observation {
  readonly radius: number
  readonly shelves: ReadonlyArray<readonly [number, number]>
  readonly package?: readonly [number, number]
  readonly dropOff?: readonly [number, number]
  readonly carrying: boolean
  readonly message: string
}

export interface Layout {
  readonly shelves: ReadonlySet<string>
  readonly start: readonly [number, number]
  readonly package: readonly [number, number]
  readonly dropOff: readonly [number, number]
}

const key = (x: number, y: number) => `${x},${y}`
const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < SIZE && y < SIZE

/** The layout of a seed: 5 shelves, then the agent, the package and the drop-off on distinct free cells. */
export const layoutOf = (seed: number): Layout => {
  const rand = seededRandom(seed * 7919 + 17)
  const cell = (): [number, number] => [Math.floor(rand() * SIZE), Math.floor(rand() * SIZE)]
  const shelves = new Set<string>()
  while (shelves.size < SHELVES) shelves.add(key(...cell()))
  const taken = new Set(shelves)
  const free = (): [number, number] => {
    for (;;) {
      const c = cell()
      if (!taken.has(key(...c))) {
        taken.add(key(...c))
        return c
      }
    }
  }
  return { shelves, start: free(), package: free(), dropOff: free() }
}

export interface Step {
  readonly observation: Observation
  readonly reward: number
  readonly done: boolean
  readonly success: boolean
}

/** One episode's world: call `act` with tool calls until `done`. */
export const warehouse = (seed: number) => {
  const layout = layoutOf(seed)
  let [x, y] = layout.start
  let carrying = false
  let packageAt: readonly [number, number] | undefined = layout.package
  let turns = 0
  let done = false
  let lookedFrom: string | undefined

  const blocked = (cx: number, cy: number) => !inside(cx, cy) || layout.shelves.has(key(cx, cy))
  const observe = (radius: number, message: string): Observation => {
    const shelves: Array<[number, number]> = []
    let pkg: [number, number] | undefined
    let drop: [number, number] | undefined
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        // `look` sees a square; the other tools only the 4 neighbours (and the cell the agent stands on).
        if (radius === 1 && Math.abs(dx) + Math.abs(dy) > 1) continue
        const cx = x + dx
        const cy = y + dy
        if (blocked(cx, cy)) {
          if (dx !== 0 || dy !== 0) shelves.push([dx, dy])
          continue
        }
        if (packageAt && cx === packageAt[0] && cy === packageAt[1]) pkg = [dx, dy]
        if (cx === layout.dropOff[0] && cy === layout.dropOff[1]) drop = [dx, dy]
      }
    }
    return { radius, shelves, ...(pkg ? { package: pkg } : {}), ...(drop ? { dropOff: drop } : {}), carrying, message }
  }

  const act = (call: ToolCall): Step => {
    if (done) throw new Error("the episode is over")
    turns++
    let reward = -0.01
    let success = false
    let observation: Observation
    switch (call.tool) {
      case "look":
        if (lookedFrom === key(x, y)) reward -= 0.05
        lookedFrom = key(x, y)
        observation = observe(3, "you look around")
        break
      case "move": {
        const [dx, dy] = STEP[call.direction]
        if (blocked(x + dx, y + dy)) {
          reward -= 0.05
          observation = observe(1, `a shelf or wall blocks ${call.direction}`)
        } else {
          const goal = packageAt ?? layout.dropOff
          const before = Math.abs(goal[0] - x) + Math.abs(goal[1] - y)
          x += dx
          y += dy
          reward += 0.1 * (before - Math.abs(goal[0] - x) - Math.abs(goal[1] - y))
          observation = observe(1, `you move ${call.direction}`)
        }
        break
      }
      case "pick":
        if (packageAt && packageAt[0] === x && packageAt[1] === y) {
          packageAt = undefined
          carrying = true
          reward += 0.5
          observation = observe(1, "you pick up the package")
        } else {
          reward -= 0.05
          observation = observe(1, "there is no package here")
        }
        break
      case "use":
        if (carrying && x === layout.dropOff[0] && y === layout.dropOff[1]) {
          carrying = false
          reward += 1
          success = true
          observation = observe(1, "you deliver the package")
        } else {
          reward -= 0.05
          observation = observe(1, carrying ? "this is not the drop-off" : "you carry nothing")
        }
        break
    }
    done = success || turns >= MAX_TURNS
    return { observation, reward, done, success }
  }

  // The episode opens with a look around: the agent starts knowing its surroundings, not the whole warehouse.
  return { act, first: () => observe(3, "you stand in the warehouse and look around") }
}
