import { Schema } from "effect"
import { parseAdversary, simulate, SimulationOptions } from "../simulation/simulate"

/**
 * `npm run simulate -- --nodes 1000 --adversary sybil:0.2,forger:0.1,lazy:0.1,offline:0.05 --tasks 20 [--results 10000] [--validators 3] [--watchers 1] [--seed 1]`
 * prints the adversarial simulation's report as JSON (simulation/simulate.ts).
 */
const flags = new Map<string, string>()
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`)
  const [name, inline] = a.slice(2).split("=", 2)
  flags.set(name!, inline ?? args[++i] ?? "")
}
const known = new Set(["nodes", "tasks", "results", "validators", "watchers", "seed", "adversary"])
for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown flag --${name} (known: ${[...known].join(", ")})`)
const options = Schema.decodeUnknownSync(SimulationOptions)({
  nodes: Number(flags.get("nodes") ?? 1000),
  tasks: Number(flags.get("tasks") ?? 20),
  results: Number(flags.get("results") ?? 10_000),
  validatorsPerResult: Number(flags.get("validators") ?? 3),
  watchers: Number(flags.get("watchers") ?? 1),
  seed: Number(flags.get("seed") ?? 1)
})
console.log(JSON.stringify(simulate(options, parseAdversary(flags.get("adversary") ?? "sybil:0.2,forger:0.1,lazy:0.1,offline:0.05")), null, 2))
