import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { DatasetId, Metrics, NodeId } from "../../../domain/primitives"
import { scoring } from "../../../domain/scoring"
import { CloseScoring, CommitScore, DrawScoringJudges, RequestScoring, RevealScore, type ScoringFacts } from "../../../domain/scoring/commands"
import { scoreCommitment, scoringIdOf } from "../../../domain/scoring/commitment"
import type { ScoringEvent } from "../../../domain/scoring/events"
import { drawValidators } from "../../../domain/task/draw"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { hash32 } from "../../support/events"
import { T0, at, modelId, nodes, owner, stranger } from "../../support/fixtures"
import { scoringFacts } from "../../support/scoringFixtures"

/** Scoring a model version by consensus (domain/scoring), given/when/then. */
const spec = deciderSpec(scoring)
const apply = applying(scoring)
const datasetId = "digits-heldout" as DatasetId
const scoringId = scoringIdOf(modelId, 1, datasetId)
const facts = (overrides: Partial<ScoringFacts> = {}) => scoringFacts(datasetId, overrides)
const request = (overrides: Partial<ConstructorParameters<typeof RequestScoring>[0]> = {}) =>
  new RequestScoring({ modelId, version: 1, datasetId, scoringId, facts: facts(), fee: 900n, actor: stranger, at: T0, ...overrides })
const judgesPool = [nodes.validator1, nodes.validator2, nodes.validator3, nodes.validator4].map((n) => ({ ...n, stake: 5_000n }))
const draw = (overrides: Partial<ConstructorParameters<typeof DrawScoringJudges>[0]> = {}) =>
  new DrawScoringJudges({ scoringId, requestCommitHash: hash32(0x5eed), candidates: judgesPool, commitSeconds: 60, actor: stranger, at: at(1), ...overrides })
const judges = drawValidators(hash32(0x5eed), { nodeId: "" as NodeId, address: stranger }, judgesPool, 3)
const addressOf = (nodeId: string) => judgesPool.find((n) => n.nodeId === nodeId)!.address
const salt = hash32(0x5a17)
const commit = (nodeId: string, metrics: Metrics, when = at(2)) =>
  new CommitScore({ scoringId, nodeId: nodeId as NodeId, commitment: scoreCommitment({ scoringId, nodeId, metrics, salt }), actor: addressOf(nodeId), at: when })
const reveal = (nodeId: string, metrics: Metrics, when = at(3)) => new RevealScore({ scoringId, nodeId: nodeId as NodeId, metrics, salt, actor: addressOf(nodeId), at: when })

const requested = () => apply([], request())
const drawn = () => apply(requested(), draw())
const committed = (metrics: ReadonlyArray<Metrics>) => metrics.reduce((h, m, i) => apply(h, commit(judges[i]!, m)), drawn())
const honest = { accuracy: 0.93, loss: 0.25 }

describe("RequestScoring", () => {
  it("records what the judges run and measure, the protocol's tolerance and the fee", () =>
    spec.given([]).when(request()).thenEvents(([e]) => {
      expect(e).toMatchObject({ _tag: "ScoringRequested", scoringId: "M-1-v1-digits-heldout", owner, workload: "digits", metric: "accuracy", judges: 3, fee: 900n, requestedBy: stranger })
      expect(e).toMatchObject({ artefact: { _tag: "Onnx", artefactHash: hash32(0xa1) }, validation: { datasetId, contentHash: hash32(0xd0) } })
    }))
  it("once per version and dataset: the draw cannot be retried", () => spec.given(requested()).when(request()).thenFails("ScoringAlreadyRequested"))
  it.each([
    [{ artefact: { _tag: "Unscoreable" as const, reason: "no workload builds it" } }, /no workload builds it/],
    [{ modelStatus: "delisted" as const }, /delisted/],
    [{ dataset: { ...facts().dataset, split: "training" as const } }, /training set/],
    [{ dataset: { ...facts().dataset, format: "fashion-idx" } }, /fashion-idx/]
  ])("refuses what cannot be scored (%#)", (f, reason) => {
    spec.given([]).when(request({ facts: facts(f) })).thenFails("ScoringRequestInvalid", { reason: expect.stringMatching(reason) })
  })
  it("refuses a metric the workload does not measure", () => spec.given([]).when(request({ metric: "perplexity" })).thenFails("ScoringRequestInvalid"))
})

describe("DrawScoringJudges", () => {
  it("draws by stake from the request's log hash, never the owner or the requester, and records how", () => {
    const ownersNode = { nodeId: "ownNode" as NodeId, address: owner, stake: 1_000_000n }
    spec
      .given(requested())
      .when(draw({ candidates: [...judgesPool, ownersNode] }))
      .thenEvents(([e]) => {
        expect(e).toMatchObject({ _tag: "ScoringJudgesDrawn", seed: hash32(0x5eed), judges, commitBy: at(61), revealBy: at(121) })
        expect((e as { judges: ReadonlyArray<string> }).judges).not.toContain("ownNode")
      })
  })
  it("another seed, another draw: nobody picks the seed", () =>
    spec.given(requested()).when(draw({ requestCommitHash: hash32(0x0bad) })).thenEvents(([e]) => expect((e as { judges: unknown }).judges).toEqual(drawValidators(hash32(0x0bad), { nodeId: "" as NodeId, address: stranger }, judgesPool, 3))))
  it("too few staked validators fails the scoring and refunds the fee", () =>
    spec
      .given(requested())
      .when(draw({ candidates: judgesPool.slice(0, 2) }))
      .thenEvents((events) => {
        expect(events.map((e) => e._tag)).toEqual(["ScoringJudgesDrawn", "ScoringFailed", "ScoringFeeRefunded"])
        expect(events[1]).toMatchObject({ reason: "only 2 staked validators can judge it, 3 asked" })
        expect(events[2]).toMatchObject({ owner: stranger, amount: 900n })
      }))
  it("once", () => spec.given(drawn()).when(draw()).thenFails("JudgesAlreadyDrawn"))
  it("needs a request", () => spec.given([]).when(draw()).thenFails("ScoringNotFound"))
})

describe("commit, reveal, settle", () => {
  it("only a drawn judge, signing with its own key", () => {
    const outsider = judgesPool.find((n) => !judges.includes(n.nodeId))!
    spec.given(drawn()).when(new CommitScore({ scoringId, nodeId: outsider.nodeId, commitment: hash32(1), actor: outsider.address, at: at(2) })).thenFails("NotDrawnJudge")
    spec.given(drawn()).when(new CommitScore({ scoringId, nodeId: judges[0]!, commitment: hash32(1), actor: stranger, at: at(2) })).thenFails("NotJudgeKey")
  })
  it("no reveal before every judge committed or the commit window passed", () =>
    spec.given(committed([honest])).when(reveal(judges[0]!, honest)).thenFails("ScoreRevealNotOpen", { opensAt: at(61) }))
  it("a reveal must open its commitment", () =>
    spec.given(committed([honest, honest, honest])).when(reveal(judges[0]!, { accuracy: 0.99, loss: 0.25 })).thenFails("ScoreCommitmentMismatch"))
  it("a commitment after reveals could open is refused", () => spec.given(committed([honest, honest])).when(commit(judges[2]!, honest, at(61))).thenFails("ScoreCommitClosed"))

  it("the last reveal settles: the majority's median scores the version, the outlier is unpaid, fee = paid + refunded", () => {
    const inflated = { accuracy: 0.99, loss: 0.01 }
    const slightlyOff = { accuracy: 0.93 + 5e-5, loss: 0.2501 }
    const history = [reveal(judges[0]!, honest), reveal(judges[1]!, inflated)].reduce(apply, committed([honest, inflated, slightlyOff]))
    spec
      .given(history)
      .when(reveal(judges[2]!, slightlyOff))
      .thenEvents((events) => {
        expect(events.map((e) => e._tag)).toEqual(["ScoreRevealed", "ModelVersionScored", "ScoringFeePaid", "ScoringFeePaid", "ScoringFeeRefunded"])
        expect(events[1]).toMatchObject({ metrics: { accuracy: 0.93, loss: 0.25 }, agreeing: [judges[0], judges[2]], disagreeing: [judges[1]], silent: [] })
        const paid = events.filter((e): e is Extract<ScoringEvent, { _tag: "ScoringFeePaid" }> => e._tag === "ScoringFeePaid")
        expect(paid.map((p) => [p.nodeId, p.recipient, p.amount])).toEqual([
          [judges[0], addressOf(judges[0]!), 300n],
          [judges[2], addressOf(judges[2]!), 300n]
        ])
        expect(events[4]).toMatchObject({ owner: stranger, amount: 300n })
      })
  })

  it("silent judges hold it open until the reveal window passes; then anyone closes it with the reveals there are", () => {
    const history = [reveal(judges[0]!, honest, at(62)), reveal(judges[1]!, honest, at(62))].reduce(apply, committed([honest, honest]))
    spec.given(history).when(new CloseScoring({ scoringId, actor: stranger, at: at(100) })).thenFails("ScoringStillOpen", { closesAt: at(121) })
    spec
      .given(history)
      .when(new CloseScoring({ scoringId, actor: stranger, at: at(121) }))
      .thenEvents((events) => {
        expect(events[0]).toMatchObject({ _tag: "ModelVersionScored", agreeing: [judges[0], judges[1]], silent: [judges[2]] })
        expect(events.filter((e) => e._tag === "ScoringFeePaid")).toHaveLength(2)
      })
  })

  it("without a majority nothing is scored and the whole fee goes back", () => {
    const history = [reveal(judges[0]!, honest, at(62))].reduce(apply, committed([honest]))
    spec
      .given(history)
      .when(new CloseScoring({ scoringId, actor: stranger, at: at(121) }))
      .thenEvents((events) => {
        expect(events.map((e) => e._tag)).toEqual(["ScoringFailed", "ScoringFeeRefunded"])
        expect(events[0]).toMatchObject({ silent: [judges[1], judges[2]], reason: expect.stringMatching(/1 of 3 judges agree/) })
        expect(events[1]).toMatchObject({ amount: 900n })
      })
  })

  it("a settled scoring takes nothing more", () => {
    const settled = [honest, honest, honest].reduce((h, m, i) => apply(h, reveal(judges[i]!, m)), committed([honest, honest, honest]))
    expect(fold(scoring, settled).status).toBe("scored")
    spec.given(settled).when(new CloseScoring({ scoringId, actor: stranger, at: at(500) })).thenFails("ScoringSettled")
  })
})

describe("scoringIdOf", () => {
  it("is readable, and stays a valid stream id for long dataset ids", () => {
    expect(scoringIdOf("M-3", 2, "heldout")).toBe("M-3-v2-heldout")
    expect(scoringIdOf("M-3", 2, "d".repeat(128))).toMatch(/^M-3-v2-[0-9a-f]{24}$/)
  })
  it("a commitment changes with any metric, the salt or the node", () => {
    const base = { scoringId, nodeId: "v", metrics: honest, salt }
    const variants = [{ ...base, metrics: { ...honest, loss: 0.2500001 } }, { ...base, salt: hash32(2) }, { ...base, nodeId: "w" }]
    for (const v of variants) expect(scoreCommitment(v)).not.toBe(scoreCommitment(base))
    expect(scoreCommitment({ ...base, metrics: { loss: 0.25, accuracy: 0.93 } })).toBe(scoreCommitment(base))
  })
})
