import { Schema } from "effect"
import { BasisPoints, NeuraAmount, PositiveInt } from "./primitives"

/**
 * The network's protocol parameters (docs/protocol.md explains each value).
 * A task records the parameters in force when it was created, so its whole
 * life (and any replay of it) is judged by one set of rules.
 */
export const ProtocolParams = Schema.Struct({
  /** Stake a node must commit to a task to take part in it, per role (Neura base units). */
  minStake: Schema.Struct({ trainer: NeuraAmount, validator: NeuraAmount }),
  /** Seconds between asking to unbond stake and being able to withdraw it. */
  unbondingSeconds: PositiveInt,
  /** Checkpoints a trainer commits per result (segments = checkpoints; at most 64). */
  checkpoints: PositiveInt,
  /** Seconds validators have to commit their vote before reveals open anyway. */
  commitSeconds: PositiveInt,
  /**
   * Seconds after a round closes during which any staked node of the task may
   * challenge a verified result by re-executing any segment; trainer rewards
   * are held until then. 0: no window (rewards paid at close).
   */
  challengeSeconds: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))),
  /** Share of a node's task stake taken when a ruling proves its result or vote wrong. */
  slashBps: BasisPoints,
  /** Share of a slash paid to whoever proved it (the referee); the rest is burned. */
  refereeRewardBps: BasisPoints,
  /** How long a DAO proposal is open for votes (the proposer does not choose). */
  votingSeconds: PositiveInt,
  /** Share of all bonded stake that must vote for a proposal's outcome to count. */
  quorumBps: BasisPoints
})
export type ProtocolParams = typeof ProtocolParams.Type

export const defaultProtocol: ProtocolParams = {
  minStake: { trainer: 1_000n, validator: 1_000n },
  unbondingSeconds: 3_600,
  checkpoints: 16,
  commitSeconds: 60,
  challengeSeconds: 300,
  slashBps: 10_000,
  refereeRewardBps: 5_000,
  votingSeconds: 3_600,
  quorumBps: 2_000
}
