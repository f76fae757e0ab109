import { Schema } from "effect"
import { defaultProtocol } from "../domain/protocol"
import { seededRandom } from "../infra/ml/model"
import { emptyTally, newChain, runTask, type Tally } from "./engine"
import { parseAdversary, population, type Adversary } from "./population"

/** The simulation's knobs (CLI flags of `npm run simulate`). */
export const SimulationOptions = Schema.Struct({
  nodes: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 10, maximum: 100_000 }))),
  tasks: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1_000 }))),
  results: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
  validatorsPerResult: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 3, maximum: 15 }))),
  /** Honest validators that watch results through their challenge window (0: none). */
  watchers: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 100 }))),
  seed: Schema.Number.pipe(Schema.check(Schema.isInt()))
})
export type SimulationOptions = typeof SimulationOptions.Type

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000)

/**
 * Run the protocol over a population with an adversary mix and report: how
 * many forged results were accepted, the catch rate beside the protocol's
 * prediction, the attacker's share of rewards and its profit (rewards minus
 * slashes), what lazy judges got, validator compute per honest result, and
 * the decision throughput.
 */
export const simulate = (options: SimulationOptions, adversary: Adversary) => {
  // The run is reproducible from its seed.
  const random = seededRandom(options.seed)
  const nodes = population(options.nodes, adversary)
  const trainers = nodes.filter((n) => n.role === "trainer")
  const validators = nodes.filter((n) => n.role === "validator")
  const stake = defaultProtocol.minStake.validator
  const perTask = Math.ceil(trainers.length / options.tasks)
  const q = options.validatorsPerResult
  const quorum = Math.floor(q / 2) + 1
  const tally: Tally = emptyTally()
  const chain = newChain()
  const started = performance.now()
  for (let i = 0; i < options.tasks; i++) {
    const mine = trainers.slice(i * perTask, (i + 1) * perTask)
    if (mine.length === 0) break
    const working = mine.filter((t) => t.kind !== "offline").length || 1
    const rounds = Math.max(1, Math.ceil(options.results / options.tasks / working))
    runTask({ taskId: `SIM${i}`, trainers: mine, validators, rounds, validatorsPerResult: q, quorum, stake, evalCost: 1, random, watchers: options.watchers }, chain, tally)
  }
  const seconds = (performance.now() - started) / 1000
  const attacker = new Set(nodes.filter((n) => n.kind === "forger" || n.kind === "sybil").map((n) => n.address as string))
  const lazy = new Set(nodes.filter((n) => n.kind === "lazy").map((n) => n.address as string))
  const sum = (m: Map<string, bigint>, who: Set<string>) => [...m.entries()].filter(([a]) => who.has(a)).reduce((s, [, v]) => s + v, 0n)
  const totalPaid = [...tally.paid.values()].reduce((s, v) => s + v, 0n)
  const attackerPaid = sum(tally.paid, attacker)
  const attackerSlashed = sum(tally.slashed, attacker)
  const validatorStake = validators.length
  const a = validators.filter((v) => v.kind === "sybil").length / (validatorStake || 1)
  const honestResults = tally.results - tally.forged
  const rewardPerResult = tally.honestVerified === 0 ? 0n : tally.honestTrainerPaid / BigInt(tally.honestVerified)
  const attackProfit = BigInt(Math.round(Number(rewardPerResult) * tally.skippedFraction)) - rewardPerResult * BigInt(tally.forgedCaughtTotal) - attackerSlashed
  return {
    configuration: { ...options, adversary, quorum, validators: validators.length, trainers: trainers.length, stakePerNode: String(stake), checkpoints: defaultProtocol.checkpoints },
    results: tally.results,
    forged: {
      submitted: tally.forged,
      final: tally.forgedFinal,
      fullyForged: { submitted: tally.fullyForged, final: tally.fullyForgedFinal },
      judges: {
        caughtAtClose: tally.forgedCaught,
        catchRate: ratio(tally.forgedCaught, tally.forged),
        predictedCatchRate: ratio(tally.predictedCatch, tally.forged),
        acceptedAtClose: tally.forgedAccepted,
        allJudgesAttacker: { measured: ratio(tally.allJudgesAttacker, tally.forged), predictedAq: Math.round(a ** q * 10_000) / 10_000, attackerStakeShare: ratio(a * 10_000, 10_000) }
      },
      watchers: {
        count: options.watchers,
        overturned: tally.overturned,
        catchRate: ratio(tally.overturned, tally.forgedAccepted),
        predictedCatchRate: ratio(tally.predictedWatcherCatch, tally.forgedAccepted)
      },
      note: "judges audit one segment chosen after the commitment; what they accept is final only if no watcher's re-executed segment disproves it within the window"
    },
    rewards: {
      total: String(totalPaid),
      attackerShare: ratio(Number(attackerPaid), Number(totalPaid)),
      attackerPaid: String(attackerPaid),
      attackerSlashed: String(attackerSlashed),
      attackerProfit: String(attackerPaid - attackerSlashed),
      forgerPaid: String(tally.forgerPaid),
      attackProfit: {
        value: String(attackProfit),
        definition:
          "vs training honestly, compute valued at the reward it earns (R per result): Σ R × (fraction of segments skipped) − R × (forged results caught) − stake slashed from the attacker's identities",
        rewardPerResult: String(rewardPerResult)
      },
      lazy: { votes: tally.lazyVotes, provenWrong: tally.lazyProvenWrong, paid: String(sum(tally.paid, lazy)), slashed: String(sum(tally.slashed, lazy)) },
      refereeEarned: String(tally.refereeEarned)
    },
    validatorCost: {
      judgesPerHonestResult: ratio(tally.judgeUnits, honestResults * 64),
      watchersPerResult: ratio(tally.watcherUnits, tally.results * 64),
      refereePerResult: ratio(tally.refereeUnits, tally.results * 64),
      fullReplayBaseline: q,
      unit: "compute per result / the trainer's compute (baseline: every judge replays the whole training)"
    },
    bisection: {
      disputesBisected: tally.bisected,
      stepsPerDispute: ratio(tally.bisectedSteps, tally.bisected),
      withoutBisection: ratio(tally.segmentRefereeUnits, tally.bisected),
      jurorsPerDispute: ratio(tally.jurorsSeated, tally.bisected),
      juriesOutvoted: tally.juriesOutvoted,
      sameVerdictAsSegmentReplay: tally.bisectionAgrees,
      differentVerdict: tally.bisected - tally.bisectionAgrees,
      forgeriesLeftToWatchers: tally.bisectionLeftToWatchers,
      note:
        "a disputed result is bisected to the step(s) where trainer and judges part (stepsPerDispute, against the segment a referee replayed before: withoutBisection) and ruled by a jury of up to 63 staked validators drawn by stake, each replaying those steps alone. A verdict differs from a segment replay's where the attacker's jurors outweighed the honest ones (juriesOutvoted) or where no honest judge disputed a forgery (its panel the forger's accomplices and lazy judges): such forgeries are not ruled on at close (forgeriesLeftToWatchers counts both kinds), and the challenge window's watchers remain their check. Steps here are 1/64 of a run, so the jury's total (jurors × steps) weighs more in refereePerResult than it would on real runs"
    },
    throughput: { events: tally.events, seconds: Math.round(seconds * 100) / 100, eventsPerSecond: Math.round(tally.events / seconds) }
  }
}

export { parseAdversary }
