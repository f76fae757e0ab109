import { Schema } from "effect"
import { Address, Hash32, Instant, Metrics, NeuraAmount, NodeId, NonNegativeInt, PositiveInt, ResultId, TaskId } from "../primitives"

/**
 * The verification protocol's events (docs/protocol.md): the draw of a
 * result's judges, their hidden and revealed votes, decisions, rulings and
 * slashes, challenges and finality. Part of the task's stream (events.ts).
 */

/** The segment every judge of a result re-executes, and the step inside it whose state they report. */
export const Audit = Schema.Struct({ segment: NonNegativeInt, probeStep: PositiveInt })
export type Audit = typeof Audit.Type

/**
 * The judges of a result, drawn by stake from randomness nobody chose: the
 * hash of the commit that recorded the result (`seed`). The same seed picks
 * the audited segment. Votes are committed (hidden) until `commitDeadline`
 * or until every judge has committed, then revealed.
 */
export const VerificationRequested = Schema.TaggedStruct("VerificationRequested", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  validators: Schema.Array(NodeId),
  seed: Hash32,
  audit: Audit,
  commitDeadline: Instant,
  requestedAt: Instant
})

/** A judge's hidden vote: sha256 of its verdict, evidence and a salt (see `voteCommitment`). */
export const VoteCommitted = Schema.TaggedStruct("VoteCommitted", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  commitment: Hash32,
  committedAt: Instant
})

export const Verdict = Schema.Literals(["accept", "reject"])
export type Verdict = typeof Verdict.Type

/** The most steps a segment's step list may hold (a run of 16 segments of this many steps each). */
export const MAX_SEGMENT_STEPS = 4096

/**
 * What only re-execution produces: the leaf of the state at the audit's
 * probe step (inside the segment, never committed by the trainer) and at the
 * segment's end (to compare with the trainer's committed leaf). `steps`, the
 * leaf after every step of the segment (from + 1 to its end), is what lets a
 * dispute bisect to one step (bisection.ts); it is revealed, not committed:
 * it must hold the probe and end leaves, which were.
 */
export const SegmentEvidence = Schema.Struct({
  probeHash: Hash32,
  endHash: Hash32,
  steps: Schema.optional(Schema.Array(Hash32).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(MAX_SEGMENT_STEPS))))
})
export type SegmentEvidence = typeof SegmentEvidence.Type

export const VerificationVoted = Schema.TaggedStruct("VerificationVoted", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  validator: Address,
  verdict: Verdict,
  measured: Metrics,
  evidence: SegmentEvidence,
  salt: Hash32,
  reason: Schema.optional(Schema.String),
  votedAt: Instant
})

export const Tally = Schema.Struct({ accept: NonNegativeInt, reject: NonNegativeInt })

export const ResultVerified = Schema.TaggedStruct("ResultVerified", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  /** Median of the accepting validators' measurements. */
  consensusMetrics: Metrics,
  tally: Tally,
  verifiedAt: Instant
})

export const ResultRejected = Schema.TaggedStruct("ResultRejected", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  reason: Schema.String,
  tally: Tally,
  penalized: Schema.Boolean,
  rejectedAt: Instant
})

/** A vote a ruling proved wrong (not computed, or computed wrongly): it earns nothing and its stake is slashed. */
export const DisputedVote = Schema.Struct({ resultId: ResultId, nodeId: NodeId, reason: Schema.String })
export type DisputedVote = typeof DisputedVote.Type

/**
 * A referee's re-execution of a contested result's audited segment: the
 * leaves it obtained at the probe step and at the segment's end. Whoever
 * disagrees with it (the trainer's committed leaf, a judge's evidence) is
 * proven wrong.
 */
export const Ruling = Schema.Struct({ resultId: ResultId, evidence: SegmentEvidence })
export type Ruling = typeof Ruling.Type

/**
 * The jury's verdict on one step of a bisected dispute (bisection.ts,
 * jury.ts): from the state before `step` that the trainer and the judge agree
 * on, the leaf of the state after it. All zeros: the agreed state could not
 * be fetched (the trainer's answer named a state it did not upload).
 */
export const StepRuling = Schema.Struct({ resultId: ResultId, step: PositiveInt, leaf: Hash32 })
export type StepRuling = typeof StepRuling.Type

/** A juror's hidden ruling on a bisected dispute: sha256 of its leaf for each step and a salt (`rulingCommitment`). */
export const RulingCommitted = Schema.TaggedStruct("RulingCommitted", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  commitment: Hash32,
  committedAt: Instant
})

/** One step's replay, as a juror reports it: the leaf after `step` from the state before it both sides agree on. */
export const StepLeaf = Schema.Struct({ step: PositiveInt, leaf: Hash32 })
export type StepLeaf = typeof StepLeaf.Type

/** A juror's revealed ruling: its leaf for every step the dispute comes down to. */
export const RulingRevealed = Schema.TaggedStruct("RulingRevealed", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  rulings: Schema.Array(StepLeaf).pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))),
  salt: Hash32,
  revealedAt: Instant
})

/** Stake a ruling took: part to the referee who proved it, the rest burned. */
export const StakeSlashed = Schema.TaggedStruct("StakeSlashed", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  nodeId: NodeId,
  address: Address,
  amount: NeuraAmount,
  referee: Address,
  refereeReward: NeuraAmount,
  burned: NeuraAmount,
  reason: Schema.String,
  slashedAt: Instant
})

/**
 * A staked node re-executed a segment of a verified result inside its
 * challenge window and got another state than the trainer committed.
 */
export const ResultChallenged = Schema.TaggedStruct("ResultChallenged", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  challenger: NodeId,
  address: Address,
  segment: NonNegativeInt,
  endHash: Hash32,
  challengedAt: Instant
})

/**
 * The referee re-executed the challenged segment: `upheld` when the trainer's
 * committed state is wrong (the result is overturned, the trainer slashed,
 * the challenger paid from it); otherwise the challenger is slashed.
 */
export const ChallengeResolved = Schema.TaggedStruct("ChallengeResolved", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  challenger: NodeId,
  upheld: Schema.Boolean,
  refereeEndHash: Hash32,
  resolvedAt: Instant
})

/** The challenge window passed without a successful challenge: the result is final and its held reward paid. */
export const ResultFinalized = Schema.TaggedStruct("ResultFinalized", {
  taskId: TaskId,
  round: PositiveInt,
  resultId: ResultId,
  finalizedAt: Instant
})

