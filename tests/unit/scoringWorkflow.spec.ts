import { describe, expect, it } from "vitest"
import { fold } from "../../domain/decider"
import type { DatasetId, NodeId } from "../../domain/primitives"
import { scoring } from "../../domain/scoring"
import { CommitScore, DrawScoringJudges, RequestScoring } from "../../domain/scoring/commands"
import { scoringIdOf } from "../../domain/scoring/commitment"
import type { ScoringEvent } from "../../domain/scoring/events"
import { reconcileScoring } from "../../nodes/dispatcher/scoringWorkflow"
import { REVEAL_MARGIN_MS } from "../../nodes/dispatcher/workflow"
import { applying } from "../support/deciderSpec"
import { hash32 } from "../support/events"
import { T0, at, modelId, nodes, stranger } from "../support/fixtures"
import { scoringFacts } from "../support/scoringFixtures"

/** The coordinator's part in a scoring (pure): draw, route commits, then reveals, then close. */
const apply = applying(scoring)
const datasetId = "heldout" as DatasetId
const scoringId = scoringIdOf(modelId, 1, datasetId)
const pool = [nodes.validator1, nodes.validator2, nodes.validator3].map((n) => ({ ...n, stake: 5_000n }))
const requested = apply([], new RequestScoring({
  modelId,
  version: 1,
  datasetId,
  scoringId,
  facts: scoringFacts(datasetId, { artefact: { _tag: "Layers", topologyHash: hash32(0x70), weightsHash: hash32(0xb0) }, dataset: { ...scoringFacts(datasetId).dataset, sampleCount: 10 } }),
  actor: stranger,
  at: T0
}))
const drawn = apply(requested, new DrawScoringJudges({ scoringId, requestCommitHash: hash32(0x5eed), candidates: pool, commitSeconds: 60, actor: stranger, at: T0 }))
const committedBy = (history: ReadonlyArray<ScoringEvent>, ids: ReadonlyArray<NodeId>) =>
  ids.reduce((h, nodeId) => apply(h, new CommitScore({ scoringId, nodeId, commitment: hash32(1), actor: pool.find((p) => p.nodeId === nodeId)!.address, at: at(1) })), history)

const reconcile = (history: ReadonlyArray<ScoringEvent>, nowMs: number, published: ReadonlySet<string> = new Set()) => {
  const s = fold(scoring, history)
  if (s.status === "none") throw new Error("no scoring")
  return reconcileScoring({ scoring: s, topology: { class_name: "Sequential" }, queues: new Set(), published, nowMs, capability: "tfjs", subjectPrefix: "cmd" })
}
const kinds = (actions: ReturnType<typeof reconcile>) =>
  actions.map((a) => (a._tag === "Publish" ? `${a.work._tag === "ScoreWork" ? a.work.phase : "?"}:${a.work.nodeId}` : a._tag === "Send" ? a.type : `${a._tag}`))

describe("reconcileScoring", () => {
  it("asks for the draw first", () => expect(kinds(reconcile(requested, Date.parse(T0)))).toEqual(["DrawScoringJudges"]))

  it("then makes sure of the judges' queues and routes each a commit, once", () => {
    const actions = reconcile(drawn, Date.parse(at(1)))
    expect(kinds(actions).filter((k) => k === "EnsureQueue")).toHaveLength(3)
    const commits = actions.filter((a) => a._tag === "Publish")
    expect(commits).toHaveLength(3)
    expect(commits[0]).toMatchObject({ subject: expect.stringMatching(/^cmd\.score\.tfjs\./), work: { _tag: "ScoreWork", phase: "commit", validationHash: hash32(0xd0), artefact: { _tag: "Layers" } } })
    const again = reconcile(drawn, Date.parse(at(1)), new Set(commits.map((a) => (a._tag === "Publish" ? a.msgID : ""))))
    expect(again.filter((a) => a._tag === "Publish")).toEqual([])
  })

  it("reveals once every judge committed, not before", () => {
    const two = committedBy(drawn, [nodes.validator1.nodeId, nodes.validator2.nodeId])
    expect(kinds(reconcile(two, Date.parse(at(2)))).filter((k) => k.startsWith("reveal"))).toEqual([])
    const all = committedBy(two, [nodes.validator3.nodeId])
    expect(kinds(reconcile(all, Date.parse(at(2)))).filter((k) => k.startsWith("reveal"))).toHaveLength(3)
  })

  it("after the commit window, the committed reveal and the silent one gets nothing more; after the reveal window, it closes", () => {
    const one = committedBy(drawn, [nodes.validator1.nodeId])
    const afterCommit = kinds(reconcile(one, Date.parse(at(60)) + REVEAL_MARGIN_MS))
    expect(afterCommit.filter((k) => k.startsWith("reveal") || k.startsWith("commit"))).toEqual([`reveal:${nodes.validator1.nodeId}`])
    expect(afterCommit).not.toContain("CloseScoring")
    expect(kinds(reconcile(one, Date.parse(at(120)) + REVEAL_MARGIN_MS))).toContain("CloseScoring")
  })
})
