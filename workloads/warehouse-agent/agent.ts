import { seededRandom } from "../../infra/ml/model"
import { DIRECTIONS, MAX_TURNS, warehouse, type Observation, type ToolCall } from "./env"

/**
 * The agent around a policy network: it keeps a belief of where the package
 * and the drop-off are (what its tools last showed, moved along with its own
 * steps), turns that belief into the network's inputs, and calls the tool the
 * network scores highest. The policy is a stack of dense layers evaluated in
 * plain JavaScript (float64 arithmetic on the float32 weights): exactly the
 * same on every node and every backend, which makes replaying an episode,
 * and so verifying a training step, exact.
 */
export const ACTIONS: ReadonlyArray<ToolCall> = [{ tool: "look" }, ...DIRECTIONS.map((direction) => ({ tool: "move" as const, direction })), { tool: "pick" }, { tool: "use" }]
export const FEATURES = 13

export interface DenseLayer {
  readonly kernel: Float32Array
  readonly bias: Float32Array
  readonly inputs: number
  readonly units: number
  readonly activation: "tanh" | "relu" | "linear" | "softmax"
}

/** The policy's scores (logits) for one input. */
export const forward = (layers: ReadonlyArray<DenseLayer>, input: ArrayLike<number>): Float64Array => {
  let x = Float64Array.from(input)
  for (const l of layers) {
    const out = new Float64Array(l.units)
    for (let j = 0; j < l.units; j++) {
      let s = l.bias[j]!
      for (let i = 0; i < l.inputs; i++) s += x[i]! * l.kernel[i * l.units + j]!
      out[j] = l.activation === "tanh" ? Math.tanh(s) : l.activation === "relu" ? Math.max(0, s) : s
    }
    x = out
  }
  return x
}

const argmax = (v: ArrayLike<number>) => {
  let best = 0
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i
  return best
}

/** Which of ACTIONS to call, from the features and a uniform draw in [0, 1) (the episode's seeded stream). */
export type Policy = (features: Float64Array, draw: number) => number

/**
 * A network's policy: a tool drawn from the softmax of its scores with the
 * episode's seeded stream. Sampling makes the return a smooth function of the
 * weights, which is what evolution strategies climb (with the most likely
 * tool instead, a small change of weights rarely changes any call, and ES
 * found no gradient); the stream is seeded by the episode, so an episode
 * still replays exactly.
 */
export const networkPolicy =
  (layers: ReadonlyArray<DenseLayer>): Policy =>
  (f, draw) => {
    const scores = forward(layers, f)
    const top = scores[argmax(scores)]!
    let total = 0
    for (let i = 0; i < scores.length; i++) total += (scores[i] = Math.exp(scores[i]! - top))
    let acc = 0
    for (let i = 0; i < scores.length; i++) {
      acc += scores[i]! / total
      if (draw < acc) return i
    }
    return scores.length - 1
  }

/** What the agent believes: its position relative to where it started, and where it last saw things. */
interface Belief {
  x: number
  y: number
  package?: [number, number]
  dropOff?: [number, number]
  carrying: boolean
  blocked: [boolean, boolean, boolean, boolean]
  lookedHere: boolean
  turns: number
}

const absorb = (b: Belief, o: Observation, moved: boolean, looked: boolean) => {
  b.carrying = o.carrying
  b.lookedHere = looked || (b.lookedHere && !moved)
  if (o.package) b.package = [b.x + o.package[0], b.y + o.package[1]]
  else if (b.carrying) b.package = undefined
  if (o.dropOff) b.dropOff = [b.x + o.dropOff[0], b.y + o.dropOff[1]]
  const shelf = (dx: number, dy: number) => o.shelves.some(([sx, sy]) => sx === dx && sy === dy)
  b.blocked = [shelf(0, -1), shelf(1, 0), shelf(0, 1), shelf(-1, 0)]
}

/**
 * The network's inputs: whether the current target (the package, or the
 * drop-off when carrying) is known and which way it lies (as signs, which a
 * small network separates easily), walls around, memory of looking, time.
 */
export const features = (b: Belief): Float64Array => {
  const target = b.carrying ? b.dropOff : b.package
  const dx = target ? target[0] - b.x : 0
  const dy = target ? target[1] - b.y : 0
  return Float64Array.from([
    target ? 1 : 0,
    dx > 0 ? 1 : 0,
    dx < 0 ? 1 : 0,
    dy > 0 ? 1 : 0,
    dy < 0 ? 1 : 0,
    target && dx === 0 && dy === 0 ? 1 : 0,
    b.carrying ? 1 : 0,
    ...b.blocked.map((v) => (v ? 1 : 0)),
    b.lookedHere ? 1 : 0,
    b.turns / MAX_TURNS
  ])
}

export interface Turn {
  readonly turn: number
  readonly call: ToolCall
  readonly observation: Observation
  readonly reward: number
}

export interface Episode {
  readonly seed: number
  readonly success: boolean
  readonly return: number
  readonly turns: number
  /** Every tool call and what it returned (kept only when asked for). */
  readonly transcript?: ReadonlyArray<Turn>
  readonly start?: Observation
}

/** Run a policy in the warehouse of `seed` to the end. */
export const runEpisode = (policy: Policy, seed: number, record = false): Episode => {
  const world = warehouse(seed)
  const draws = seededRandom(seed * 31 + 7)
  const start = world.first()
  const belief: Belief = { x: 0, y: 0, carrying: false, blocked: [false, false, false, false], lookedHere: false, turns: 0 }
  absorb(belief, start, false, false)
  const transcript: Array<Turn> = []
  let total = 0
  for (;;) {
    const call = ACTIONS[policy(features(belief), draws())]!
    const step = world.act(call)
    const moved = step.observation.message.startsWith("you move")
    if (moved && call.tool === "move") {
      const d = DIRECTIONS.indexOf(call.direction)
      belief.x += [0, 1, 0, -1][d]!
      belief.y += [-1, 0, 1, 0][d]!
    }
    belief.turns++
    absorb(belief, step.observation, moved, call.tool === "look")
    total += step.reward
    if (record) transcript.push({ turn: belief.turns, call, observation: step.observation, reward: Math.round(step.reward * 100) / 100 })
    if (step.done) {
      const r = Math.round(total * 1e6) / 1e6
      return { seed, success: step.success, return: r, turns: belief.turns, ...(record ? { transcript, start } : {}) }
    }
  }
}
