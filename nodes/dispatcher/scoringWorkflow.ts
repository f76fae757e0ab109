import type { ModelState } from "../../domain/model/state"
import type { ScoringState } from "../../domain/scoring/state"
import { workSubject, type ScoreWork } from "../workItems"
import { REVEAL_MARGIN_MS, REVEAL_REPEAT_MS, type Action } from "./workflow"
import { describeFailure } from "../infra/describeFailure"

type Open = Exclude<ScoringState, { status: "none" }>

export interface ScoringContext {
  readonly scoring: Open
  /** The model's registered topology (Layers JSON, or an opaque model's interface). */
  readonly topology: Record<string, unknown> | undefined
  readonly queues: ReadonlySet<string>
  readonly published: ReadonlySet<string>
  readonly nowMs: number
  readonly capability: string
  readonly subjectPrefix: string
}

/**
 * What a scoring needs next (pure, level-triggered like reconcileTask):
 * draw its judges; route each judge a commit, then (once every judge
 * committed or the commit window passed) a reveal, repeated until it lands;
 * close it after the reveal window when silent judges hold it open.
 */
export const reconcileScoring = (ctx: ScoringContext): Array<Action> => {
  const s = ctx.scoring
  const { scoringId } = s.request
  if (s.status === "scored" || s.status === "failed") return []
  if (!s.draw) return [{ _tag: "Send", type: "DrawScoringJudges", payload: { scoringId }, commandId: `score-draw-${scoringId}`, log: `${scoringId}: drawing its judges` }]
  if (ctx.topology === undefined) return []
  const draw = s.draw
  const actions: Array<Action> = []
  for (const j of draw.judges) if (!ctx.queues.has(j)) actions.push({ _tag: "EnsureQueue", nodeId: j })
  const open = draw.judges.every((j) => s.commitments.has(j)) || ctx.nowMs >= Date.parse(draw.commitBy) + REVEAL_MARGIN_MS
  for (const j of draw.judges) {
    if (s.reveals.some((r) => r.nodeId === j)) continue
    const phase = s.commitments.has(j) ? (open ? "reveal" : undefined) : open ? undefined : "commit"
    if (!phase) continue
    const msgID = phase === "commit" ? `score-commit-${scoringId}-${j}` : `score-reveal-${scoringId}-${j}-${Math.floor(ctx.nowMs / REVEAL_REPEAT_MS)}`
    if (ctx.published.has(msgID)) continue
    const work: ScoreWork = {
      _tag: "ScoreWork",
      scoringId,
      nodeId: j,
      phase,
      workload: s.request.workload,
      artefact: s.request.artefact,
      topology: ctx.topology,
      validationHash: s.request.validation.contentHash
    }
    actions.push({ _tag: "Publish", subject: workSubject("score", ctx.capability, j, ctx.subjectPrefix), work, msgID })
  }
  if (ctx.nowMs >= Date.parse(draw.revealBy) + REVEAL_MARGIN_MS) {
    actions.push({ _tag: "Send", type: "CloseScoring", payload: { scoringId }, commandId: `score-close-${scoringId}`, log: `${scoringId}: reveal window over; closing with the reveals there are` })
  }
  return actions
}

/**
 * The executor's side: every open scoring of the coordinator's folded world,
 * with its model's topology, reconciled and its actions performed in order.
 * A failure is logged and retried on the next pass (every action is idempotent).
 */
export const reconcileScorings = async (
  world: { readonly scorings: ReadonlyMap<string, ScoringState>; readonly models: ReadonlyMap<string, ModelState> },
  ctx: Omit<ScoringContext, "scoring" | "topology">,
  perform: (action: Action) => Promise<unknown>,
  log: (line: string) => void
) => {
  for (const s of [...world.scorings.values()]) {
    if (s.status === "none" || s.status === "scored" || s.status === "failed") continue
    try {
      const m = world.models.get(`model-${s.request.modelId}`)
      for (const action of reconcileScoring({ ...ctx, scoring: s, topology: m && m.status !== "none" ? m.topology : undefined })) await perform(action)
    } catch (e) {
      log(`${s.request.scoringId}: reconcile failed, will retry: ${describeFailure(e)}`)
    }
  }
}
