import { parseAdversary, simulate } from "../simulation/simulate"
import { round, type BenchResult } from "./stats"

/**
 * The protocol's catch rates, measured by the adversarial simulation (the
 * real task decider and hash chain over simulated training) and printed
 * beside what the protocol predicts: the judges' audit (1 − (1 − k/S) per
 * forged result, unless all judges are the attacker's), one watcher's
 * segment in the challenge window, all-attacker panels beside a^q, and the
 * attack's profit against honest training.
 */
export const verificationBench = (options = { results: 10_000, nodes: 1000, tasks: 20 }): Array<BenchResult> => {
  const adversary = parseAdversary("sybil:0.2,forger:0.1,lazy:0.1,offline:0.05")
  const withWatcher = simulate({ nodes: options.nodes, tasks: options.tasks, results: options.results, validatorsPerResult: 3, watchers: 1, seed: 1 }, adversary)
  const noWatcher = simulate({ nodes: options.nodes, tasks: options.tasks, results: options.results, validatorsPerResult: 3, watchers: 0, seed: 1 }, adversary)
  const f = withWatcher.forged
  return [
    {
      name: "verification.judgesCatchRate",
      unit: "forged results caught at close / forged results",
      value: f.judges.catchRate,
      baseline: { name: "predicted: Σ (segments skipped / segments) over forged results with an honest judge", value: f.judges.predictedCatchRate },
      details: { results: withWatcher.results, forged: f.submitted, forgersSkip: "1..16 of 16 segments, uniformly" }
    },
    {
      name: "verification.watcherCatchRate",
      unit: "forged results overturned in the window / forged results accepted at close",
      value: f.watchers.catchRate,
      baseline: { name: "predicted: Σ 1 − (1 − k/S)^W, W = 1 watcher", value: f.watchers.predictedCatchRate },
      details: { overturned: f.watchers.overturned, acceptedAtClose: f.judges.acceptedAtClose, fullyForged: f.fullyForged }
    },
    {
      name: "verification.allJudgesAttacker",
      unit: "forged results whose judges were all the attacker's",
      value: f.judges.allJudgesAttacker.measured,
      baseline: { name: "a^q (a = attacker's share of validator stake, q = 3)", value: f.judges.allJudgesAttacker.predictedAq },
      details: { a: f.judges.allJudgesAttacker.attackerStakeShare }
    },
    {
      name: "verification.forgedFinal",
      unit: "forged results that became final",
      value: f.final,
      baseline: { name: "without watchers (judges only)", value: noWatcher.forged.final },
      details: { fullyForgedFinal: f.fullyForged.final, attackProfit: withWatcher.rewards.attackProfit, attackProfitWithoutWatchers: noWatcher.rewards.attackProfit.value }
    },
    {
      name: "verification.bisection.stepsPerDispute",
      unit: "steps a disputed result comes down to (each juror replays these alone)",
      value: withWatcher.bisection.stepsPerDispute,
      baseline: { name: "replaying the whole audited segment (one referee, before bisection)", value: withWatcher.bisection.withoutBisection },
      details: {
        disputesBisected: withWatcher.bisection.disputesBisected,
        jurorsPerDispute: withWatcher.bisection.jurorsPerDispute,
        juriesOutvoted: withWatcher.bisection.juriesOutvoted,
        sameVerdictAsSegmentReplay: withWatcher.bisection.sameVerdictAsSegmentReplay,
        forgeriesLeftToWatchers: withWatcher.bisection.forgeriesLeftToWatchers
      }
    },
    {
      name: "verification.simulatedValidatorCost",
      unit: "judges' compute per honest result / trainer's compute",
      value: withWatcher.validatorCost.judgesPerHonestResult,
      baseline: { name: "every judge replays the whole training", value: withWatcher.validatorCost.fullReplayBaseline },
      details: { watchersPerResult: withWatcher.validatorCost.watchersPerResult, refereePerResult: withWatcher.validatorCost.refereePerResult, eventsPerSecond: withWatcher.throughput.eventsPerSecond, seconds: round(withWatcher.throughput.seconds, 2) }
    }
  ]
}
