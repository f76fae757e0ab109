import type { Escrow } from "../ledger/ledger"
import { emptyEscrow } from "../ledger/ledger"
import type { Address, Hash32, Metrics, ModelVersionRef, NodeId, ResultId, TaskId } from "../primitives"
import type { Assignment, Audit, CheckpointState, ParticipantRole, SegmentEvidence, TaskEvent, TrainingProof, Verdict } from "./events"

type Created = Extract<TaskEvent, { _tag: "TaskCreated" }>

export interface Participant {
  readonly nodeId: NodeId
  readonly address: Address
  readonly role: ParticipantRole
  /** Stake committed to this task. */
  readonly stake: bigint
}

export interface Vote {
  readonly nodeId: NodeId
  readonly validator: Address
  readonly verdict: Verdict
  readonly measured: Metrics
  readonly evidence: SegmentEvidence
  readonly disputed?: boolean
}

export interface ResultState {
  readonly resultId: ResultId
  readonly nodeId: NodeId
  readonly trainer: Address
  readonly proof: TrainingProof
  readonly validators: ReadonlyArray<NodeId>
  /** The draw's seed (the hash of the commit that recorded the result) and the audited segment. */
  readonly seed?: string
  readonly audit?: Audit
  readonly commitDeadline?: string
  /** Hidden votes by judge, until revealed. */
  readonly commitments: ReadonlyMap<NodeId, string>
  /** When the current validators were assigned (liveness is measured from here). */
  readonly requestedAt?: string
  /** Validators taken off this result for going silent; they may not judge it again. */
  readonly replaced?: ReadonlyArray<NodeId>
  readonly votes: ReadonlyArray<Vote>
  /** The trainer's states after every step of the audited segment, once a contest made it answer (bisection.ts), and when. */
  readonly answer?: ReadonlyArray<CheckpointState>
  readonly answeredAt?: string
  /** The jury of its bisected dispute (jury.ts): hidden rulings by juror, then revealed ones. */
  readonly jury?: {
    readonly commitments: ReadonlyMap<NodeId, string>
    readonly reveals: ReadonlyMap<NodeId, ReadonlyArray<{ readonly step: number; readonly leaf: string }>>
  }
  readonly outcome?: "verified" | "rejected"
  /** When the outcome was decided (the verification window for late votes runs from here). */
  readonly decidedAt?: string
  readonly consensusMetrics?: Metrics
  readonly penalized?: boolean
}

/** A verified result inside its challenge window: what a challenge needs, and its held rewards. */
export interface Challengeable {
  readonly resultId: ResultId
  readonly round: number
  readonly nodeId: NodeId
  readonly trainer: Address
  readonly proof: TrainingProof
  readonly finalAt: string
  readonly held: ReadonlyArray<{ readonly recipient: Address; readonly nodeId: NodeId; readonly amount: bigint }>
  readonly challenge?: { readonly challenger: NodeId; readonly address: Address; readonly segment: number; readonly endHash: string }
}

/** An assignment and when it was dispatched (liveness of its trainer is measured from then). */
export type DispatchedAssignment = Assignment & { readonly dispatchedAt?: string }

export interface RoundState {
  readonly round: number
  readonly base: ModelVersionRef & { readonly weightsHash: Hash32 }
  readonly pot: bigint
  readonly deadline: string
  /** Every dispatch of the round in order; a slot dispatched again (reassigned) appears once per dispatch. */
  readonly assignments: ReadonlyArray<DispatchedAssignment>
  readonly results: ReadonlyMap<ResultId, ResultState>
}

export interface TaskData {
  readonly taskId: TaskId
  readonly config: Created
  readonly participants: ReadonlyMap<NodeId, Participant>
  readonly escrow: Escrow
  /** Stake the task's rulings took, per node. */
  readonly slashed: ReadonlyMap<NodeId, bigint>
  /** Verified results not final yet (inside their challenge window), by id. */
  readonly challengeable: ReadonlyMap<ResultId, Challengeable>
  readonly roundsStarted: number
  /** The current round while running; the last one after. */
  readonly round?: RoundState
  /** Newest version this task produced (or its base) and its held-out metrics. */
  readonly latest: { readonly ref: ModelVersionRef; readonly metrics?: Metrics }
}

export type TaskState =
  | { readonly status: "none" }
  | ({ readonly status: "open" | "running" | "completed" | "exhausted" } & TaskData)

export const initialState: TaskState = { status: "none" }

const updateResult = (data: TaskData, resultId: ResultId, f: (r: ResultState) => ResultState): TaskData => {
  if (!data.round) return data
  const existing = data.round.results.get(resultId)
  if (!existing) return data
  const results = new Map(data.round.results)
  results.set(resultId, f(existing))
  return { ...data, round: { ...data.round, results } }
}

export const evolve = (state: TaskState, event: TaskEvent): TaskState => {
  if (event._tag === "TaskCreated") {
    return {
      status: "open",
      taskId: event.taskId,
      config: event,
      participants: new Map(),
      escrow: emptyEscrow,
      slashed: new Map(),
      challengeable: new Map(),
      roundsStarted: 0,
      latest: { ref: { modelId: event.base.modelId, version: event.base.version } }
    }
  }
  if (state.status === "none") return state
  switch (event._tag) {
    case "BudgetEscrowed":
      return { ...state, escrow: { ...state.escrow, escrowed: state.escrow.escrowed + event.amount } }
    case "NodeJoinedTask": {
      const participants = new Map(state.participants)
      participants.set(event.nodeId, { nodeId: event.nodeId, address: event.address, role: event.role, stake: event.stake })
      return { ...state, participants }
    }
    case "RoundStarted":
      return {
        ...state,
        status: "running",
        roundsStarted: event.round,
        config: event.addedShards ? { ...state.config, trainingShards: [...state.config.trainingShards, ...event.addedShards] } : state.config,
        round: { round: event.round, base: event.base, pot: event.pot, deadline: event.deadline, assignments: [], results: new Map() }
      }
    case "TrainingDispatched":
      return state.round
        ? { ...state, round: { ...state.round, assignments: [...state.round.assignments, ...event.assignments.map((a) => ({ ...a, dispatchedAt: event.dispatchedAt }))] } }
        : state
    case "ResultSubmitted": {
      if (!state.round) return state
      const results = new Map(state.round.results)
      results.set(event.resultId, {
        resultId: event.resultId,
        nodeId: event.nodeId,
        trainer: event.trainer,
        proof: event.proof,
        validators: [],
        commitments: new Map(),
        votes: []
      })
      return { ...state, round: { ...state.round, results } }
    }
    case "VerificationRequested":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({
          ...r,
          validators: event.validators,
          seed: event.seed,
          audit: event.audit,
          commitDeadline: event.commitDeadline,
          requestedAt: event.requestedAt
        }))
      }
    case "VoteCommitted":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({ ...r, commitments: new Map(r.commitments).set(event.nodeId, event.commitment) }))
      }
    case "StakeSlashed":
      return { ...state, slashed: new Map(state.slashed).set(event.nodeId, (state.slashed.get(event.nodeId) ?? 0n) + event.amount) }
    case "ValidatorReplaced":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({
          ...r,
          validators: r.validators.map((v) => (v === event.replaced ? event.replacement : v)),
          replaced: [...(r.replaced ?? []), event.replaced],
          requestedAt: event.replacedAt
        }))
      }
    case "VerificationVoted":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({
          ...r,
          votes: [
            ...r.votes,
            {
              nodeId: event.nodeId,
              validator: event.validator,
              verdict: event.verdict,
              measured: event.measured,
              evidence: event.evidence
            }
          ]
        }))
      }
    case "DisputeAnswered":
      return { ...state, ...updateResult(state, event.resultId, (r) => ({ ...r, answer: event.states, answeredAt: event.answeredAt })) }
    case "RulingCommitted":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({
          ...r,
          jury: { commitments: new Map(r.jury?.commitments).set(event.nodeId, event.commitment), reveals: r.jury?.reveals ?? new Map() }
        }))
      }
    case "RulingRevealed":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({
          ...r,
          jury: { commitments: r.jury?.commitments ?? new Map(), reveals: new Map(r.jury?.reveals).set(event.nodeId, event.rulings) }
        }))
      }
    case "ResultVerified":
      return {
        ...state,
        ...updateResult(state, event.resultId, (r) => ({ ...r, outcome: "verified", decidedAt: event.verifiedAt, consensusMetrics: event.consensusMetrics }))
      }
    case "ResultRejected":
      return { ...state, ...updateResult(state, event.resultId, (r) => ({ ...r, outcome: "rejected", decidedAt: event.rejectedAt, penalized: event.penalized })) }
    case "RewardAllocated":
      return { ...state, escrow: { ...state.escrow, allocated: state.escrow.allocated + event.amount } }
    case "RewardHeld": {
      const r = state.round?.results.get(event.resultId)
      const before = state.challengeable.get(event.resultId)
      const entry: Challengeable = before
        ? { ...before, held: [...before.held, { recipient: event.recipient, nodeId: event.nodeId, amount: event.amount }] }
        : { resultId: event.resultId, round: event.round, nodeId: event.nodeId, trainer: r?.trainer ?? event.recipient, proof: r!.proof, finalAt: event.finalAt, held: [{ recipient: event.recipient, nodeId: event.nodeId, amount: event.amount }] }
      return { ...state, escrow: { ...state.escrow, held: state.escrow.held + event.amount }, challengeable: new Map(state.challengeable).set(event.resultId, entry) }
    }
    case "ResultChallenged": {
      const c = state.challengeable.get(event.resultId)
      if (!c) return state
      const challenge = { challenger: event.challenger, address: event.address, segment: event.segment, endHash: event.endHash }
      return { ...state, challengeable: new Map(state.challengeable).set(event.resultId, { ...c, challenge }) }
    }
    case "ChallengeResolved": {
      const c = state.challengeable.get(event.resultId)
      if (!c) return state
      const { challenge: _resolved, ...rest } = c
      return { ...state, challengeable: new Map(state.challengeable).set(event.resultId, rest) }
    }
    case "ResultFinalized": {
      // Its held rewards leave `held` here; the RewardAllocated events that follow pay them.
      const released = (state.challengeable.get(event.resultId)?.held ?? []).reduce((s, x) => s + x.amount, 0n)
      const challengeable = new Map(state.challengeable)
      challengeable.delete(event.resultId)
      return { ...state, escrow: { ...state.escrow, held: state.escrow.held - released }, challengeable }
    }
    case "RewardForfeited": {
      // An upheld challenge forfeits all of a result's held rewards in one commit: it awaits nothing more.
      const challengeable = new Map(state.challengeable)
      challengeable.delete(event.resultId)
      return { ...state, escrow: { ...state.escrow, held: state.escrow.held - event.amount }, challengeable }
    }
    case "RoundClosed":
      return {
        ...state,
        status: "open",
        latest: event.newVersion ? { ref: event.newVersion, ...(event.metrics ? { metrics: event.metrics } : {}) } : state.latest
      }
    case "TaskContinued":
      return { ...state, status: "open" }
    case "TaskCompleted":
      return { ...state, status: "completed" }
    case "TaskExhausted":
      return { ...state, status: "exhausted" }
    case "BudgetRefunded":
      return { ...state, escrow: { ...state.escrow, refunded: state.escrow.refunded + event.amount } }
  }
}
