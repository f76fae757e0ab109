import type { Metrics } from "../primitives"
import type { MetricDirection, Objective } from "./events"

/**
 * The task's objective over a workload's metrics: a named metric, whether
 * more or less is better, and the target. Pure, so the deciders, the
 * projections and the coordinator read "good enough" and "better" the same way.
 */

/** Tasks created before workloads maximise accuracy. */
export const directionOf = (objective: Pick<Objective, "direction">): MetricDirection => objective.direction ?? "maximize"

/** The objective's metric in a measurement (undefined when the measurement lacks it). */
export const objectiveValue = (metrics: Metrics | undefined, objective: Pick<Objective, "metric">): number | undefined => metrics?.[objective.metric]

/** Whether a measurement reaches the target: at or above it when maximising, at or below when minimising. */
export const meetsObjective = (metrics: Metrics | undefined, objective: Objective): boolean => {
  const v = objectiveValue(metrics, objective)
  if (v === undefined) return false
  return directionOf(objective) === "maximize" ? v >= objective.target : v <= objective.target
}

/**
 * A result's verified improvement over the round's base, in basis points, never negative:
 * for a maximised metric (a fraction: accuracy, F1; or an agent's mean return, which may
 * be negative) the absolute gain × 10,000; for a minimised one (perplexity, loss) the
 * relative reduction × 10,000, none when the base is not positive. No base, no gain.
 */
export const gainBps = (metrics: Metrics | undefined, base: Metrics | undefined, objective: Objective): number => {
  const m = objectiveValue(metrics, objective)
  const b = objectiveValue(base, objective)
  if (m === undefined) return 0
  if (directionOf(objective) === "maximize") return Math.max(0, Math.round((m - (b ?? 0)) * 10_000))
  if (b === undefined || b <= 0) return 0
  return Math.max(0, Math.round(((b - m) / b) * 10_000))
}

/** "accuracy 0.9312 below target 0.95" / "perplexity 14.20 above target 12". */
export const shortOfTarget = (metrics: Metrics | undefined, objective: Objective): string => {
  const v = objectiveValue(metrics, objective)
  if (v === undefined) return "no verified result yet"
  return `${objective.metric} ${v.toFixed(4)} ${directionOf(objective) === "maximize" ? "below" : "above"} target ${objective.target}`
}
