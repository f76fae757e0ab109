import { describe, expect, it } from "vitest"
import { parseAdversary, simulate } from "../../../simulation/simulate"

/**
 * The adversarial simulation on a small configuration (CI): the real task
 * decider and hash chain, simulated training. The protocol's promises:
 * a fully forged result never becomes final while one honest watcher runs;
 * forging does not pay against training honestly; lazy judges earn nothing;
 * judging costs at most a quarter of the training.
 */
const small = { nodes: 150, tasks: 3, results: 600, validatorsPerResult: 3, seed: 7 }
const adversary = parseAdversary("sybil:0.2,forger:0.1,lazy:0.1,offline:0.05")

describe("adversarial simulation (small configuration)", () => {
  it("with adversaries under 1/3 of the stake and one honest watcher: no fully forged result is final, forging does not pay, lazy judges earn nothing", () => {
    const report = simulate({ ...small, watchers: 1 }, adversary)
    expect(report.forged.judges.allJudgesAttacker.attackerStakeShare).toBeLessThan(1 / 3)
    expect(report.forged.submitted).toBeGreaterThan(50)
    expect(report.forged.fullyForged.final).toBe(0)
    expect(BigInt(report.rewards.attackProfit.value)).toBeLessThanOrEqual(0n)
    expect(report.rewards.lazy.paid).toBe("0")
    expect(report.rewards.lazy.provenWrong).toBeGreaterThan(0)
    expect(report.validatorCost.judgesPerHonestResult).toBeLessThanOrEqual(0.25)
    // Measured beside predicted: the judges' catch rate and the watcher's.
    expect(Math.abs(report.forged.judges.catchRate - report.forged.judges.predictedCatchRate)).toBeLessThan(0.1)
    expect(Math.abs(report.forged.watchers.catchRate - report.forged.watchers.predictedCatchRate)).toBeLessThan(0.15)
    // Disputes are bisected to a step or two instead of a segment, ruled by juries of staked validators as a
    // segment replay would rule; what differs is a forgery nobody honest disputed, left to the watchers.
    const b = report.bisection
    expect(b.disputesBisected).toBeGreaterThan(50)
    expect(b.stepsPerDispute).toBeLessThan(b.withoutBisection / 2)
    expect(b.jurorsPerDispute).toBeGreaterThan(10)
    expect(b.sameVerdictAsSegmentReplay + b.differentVerdict).toBe(b.disputesBisected)
    expect(b.differentVerdict).toBeLessThanOrEqual(b.forgeriesLeftToWatchers + b.juriesOutvoted)
    expect(b.forgeriesLeftToWatchers).toBeLessThan(b.disputesBisected / 10)
  })
  it("without watchers the report shows what the judges alone let through, beside a^q", () => {
    const report = simulate({ ...small, watchers: 0 }, adversary)
    expect(report.forged.final).toBe(report.forged.judges.acceptedAtClose)
    expect(report.forged.final).toBeGreaterThan(0)
    expect(report.forged.judges.allJudgesAttacker.predictedAq).toBeCloseTo(report.forged.judges.allJudgesAttacker.attackerStakeShare ** 3, 3)
  })
  it("refuses a malformed adversary mix", () => {
    expect(() => parseAdversary("sybil:0.5,forger:0.6")).toThrow(/honest/)
    expect(() => parseAdversary("whale:0.1")).toThrow(/kind:fraction/)
  })
})
