import type { Address, Hash32, Metrics, NodeId } from "../primitives"
import type { ScoringEvent } from "./events"

type Requested = Extract<ScoringEvent, { _tag: "ScoringRequested" }>
type Drawn = Extract<ScoringEvent, { _tag: "ScoringJudgesDrawn" }>

export interface Reveal {
  readonly nodeId: NodeId
  readonly judge: Address
  readonly metrics: Metrics
}

export type ScoringState =
  | { readonly status: "none" }
  | {
      readonly status: "requested" | "judging" | "scored" | "failed"
      readonly request: Requested
      readonly draw?: Drawn
      readonly commitments: ReadonlyMap<NodeId, Hash32>
      readonly reveals: ReadonlyArray<Reveal>
    }

export const initialScoringState: ScoringState = { status: "none" }

export const evolveScoring = (state: ScoringState, event: ScoringEvent): ScoringState => {
  if (event._tag === "ScoringRequested") return { status: "requested", request: event, commitments: new Map(), reveals: [] }
  if (state.status === "none") return state
  switch (event._tag) {
    case "ScoringJudgesDrawn":
      return { ...state, status: "judging", draw: event }
    case "ScoreCommitted":
      return { ...state, commitments: new Map([...state.commitments, [event.nodeId, event.commitment]]) }
    case "ScoreRevealed":
      return { ...state, reveals: [...state.reveals, { nodeId: event.nodeId, judge: event.judge, metrics: event.metrics }] }
    case "ModelVersionScored":
      return { ...state, status: "scored" }
    case "ScoringFailed":
      return { ...state, status: "failed" }
    case "ScoringFeePaid":
    case "ScoringFeeRefunded":
      return state
  }
}
