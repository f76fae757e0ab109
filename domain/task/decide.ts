import { Result } from "effect"
import { pay, remaining } from "../ledger/ledger"
import type { ResultId, TaskId } from "../primitives"
import type { CastVerificationVote, CloseRound, CreateTask, DispatchTraining, JoinTask, StartRound, SubmitResult, TaskCommand } from "./commands"
import { quorumProblem, selectValidators, tallyVotes } from "./consensus"
import {
  AlreadyJoined,
  AlreadyVoted,
  ModelNotUsable,
  NewVersionRequired,
  NodeLacksRole,
  NotAssignedValidator,
  NotEnoughParticipants,
  NotModelOwner,
  NotNodeKey,
  NotParticipant,
  NotTaskOwner,
  ProofMismatch,
  ResultAlreadySubmitted,
  ResultNotFound,
  RoundAlreadyRunning,
  RoundDeadlinePassed,
  RoundLimitReached,
  RoundNotRunning,
  RoundStillOpen,
  TaskAlreadyExists,
  TaskClosed,
  TaskConfigInvalid,
  TaskNotFound,
  UnknownShard,
  WrongRound,
  type TaskError
} from "./errors"
import type { TaskEvent, TrainingShard } from "./events"
import { replaceValidator } from "./replaceValidator"
import { roundPayouts } from "./rewards"
import type { ResultState, TaskData, TaskState } from "./state"
import { sameWork } from "./work"

type Decision = Result.Result<ReadonlyArray<TaskEvent>, TaskError>
type Live = TaskData & { readonly status: "open" | "running" }

const addSeconds = (instant: string, seconds: number): string => new Date(Date.parse(instant) + seconds * 1000).toISOString()

/** The task must exist and not be finished. */
const live = (taskId: TaskId, state: TaskState): Result.Result<Live, TaskError> => {
  if (state.status === "none") return Result.fail(new TaskNotFound({ taskId }))
  if (state.status === "completed" || state.status === "exhausted") return Result.fail(new TaskClosed({ taskId, taskStatus: state.status }))
  return Result.succeed(state as Live)
}

const mayCoordinate = (state: TaskData, command: { actor: string; actorIsCoordinator: boolean }) =>
  command.actor === state.config.owner || command.actorIsCoordinator

const runningRound = (state: Live, taskId: TaskId, round: number) =>
  state.status === "running" && state.round?.round === round ? Result.succeed(state.round) : Result.fail(new RoundNotRunning({ taskId, round }))

const count = (state: TaskData, role: "trainer" | "validator") => [...state.participants.values()].filter((p) => p.role === role).length

export const createTask = (c: CreateTask, state: TaskState): Decision => {
  if (state.status !== "none") return Result.fail(new TaskAlreadyExists({ taskId: c.taskId }))
  const { criteria, rewardSplit: split } = c
  const quorum = quorumProblem(criteria.validatorsPerResult, criteria.quorum)
  if (quorum) return Result.fail(new TaskConfigInvalid({ reason: quorum }))
  if (split.trainersBps + split.validatorsBps + split.dataProvidersBps !== 10_000) {
    return Result.fail(new TaskConfigInvalid({ reason: "rewardSplit must add up to 10000 basis points" }))
  }
  if (c.budget <= 0n) return Result.fail(new TaskConfigInvalid({ reason: "budget must be positive" }))
  if (c.baseModel.modelId !== c.base.modelId || c.baseModel.version !== c.base.version) {
    return Result.fail(new TaskConfigInvalid({ reason: "base model facts do not match the requested base" }))
  }
  if (c.baseModel.owner !== c.actor) return Result.fail(new NotModelOwner({ modelId: c.base.modelId, actor: c.actor }))
  if (c.baseModel.status === "delisted") return Result.fail(new ModelNotUsable({ modelId: c.base.modelId, reason: "delisted" }))
  const wrongSplit = c.trainingDatasets.find((d) => d.split !== "training")
  if (wrongSplit) return Result.fail(new TaskConfigInvalid({ reason: `dataset ${wrongSplit.datasetId} is not a training dataset` }))
  if (c.validationDataset.split !== "validation") {
    return Result.fail(new TaskConfigInvalid({ reason: `dataset ${c.validationDataset.datasetId} is not a validation dataset` }))
  }
  const trainingShards: Array<TrainingShard> = c.trainingDatasets.flatMap((d) => d.shards.map((s) => ({ datasetId: d.datasetId, ...s })))
  if (trainingShards.length === 0) return Result.fail(new TaskConfigInvalid({ reason: "training datasets have no shards" }))
  if (new Set(trainingShards.map((s) => s.shardId)).size !== trainingShards.length) {
    return Result.fail(new TaskConfigInvalid({ reason: "shard ids must be unique across training datasets" }))
  }
  return Result.succeed([
    {
      _tag: "TaskCreated",
      taskId: c.taskId,
      title: c.title,
      owner: c.actor,
      base: { modelId: c.base.modelId, version: c.base.version, weightsHash: c.baseModel.weightsHash },
      trainingShards,
      validation: {
        datasetId: c.validationDataset.datasetId,
        contentHash: c.validationDataset.contentHash,
        sampleCount: c.validationDataset.sampleCount
      },
      objective: c.objective,
      training: c.training,
      criteria: c.criteria,
      rewardSplit: c.rewardSplit,
      budget: c.budget,
      createdAt: c.at
    },
    { _tag: "BudgetEscrowed", taskId: c.taskId, owner: c.actor, amount: c.budget, escrowedAt: c.at }
  ])
}

export const joinTask = (c: JoinTask, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision => {
    if (c.actor !== c.node.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
    if (!c.node.roles.includes(c.role)) return Result.fail(new NodeLacksRole({ nodeId: c.nodeId, role: c.role }))
    if (s.participants.has(c.nodeId)) return Result.fail(new AlreadyJoined({ nodeId: c.nodeId }))
    return Result.succeed([
      { _tag: "NodeJoinedTask", taskId: c.taskId, nodeId: c.nodeId, address: c.node.address, role: c.role, capabilities: c.node.capabilities, joinedAt: c.at }
    ])
  })

export const startRound = (c: StartRound, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision => {
    if (!mayCoordinate(s, c)) return Result.fail(new NotTaskOwner({ taskId: c.taskId, actor: c.actor }))
    if (s.status === "running") return Result.fail(new RoundAlreadyRunning({ round: s.roundsStarted }))
    const { criteria } = s.config
    if (c.round !== s.roundsStarted + 1) return Result.fail(new WrongRound({ expected: s.roundsStarted + 1, got: c.round }))
    if (c.round > criteria.maxRounds) return Result.fail(new RoundLimitReached({ maxRounds: criteria.maxRounds }))
    const trainers = count(s, "trainer")
    if (trainers < criteria.minTrainers) return Result.fail(new NotEnoughParticipants({ role: "trainer", needed: criteria.minTrainers, have: trainers }))
    const validators = count(s, "validator")
    if (validators < criteria.validatorsPerResult) {
      return Result.fail(new NotEnoughParticipants({ role: "validator", needed: criteria.validatorsPerResult, have: validators }))
    }
    if (c.latestVersion.modelId !== s.config.base.modelId) {
      return Result.fail(new TaskConfigInvalid({ reason: `latest version is of ${c.latestVersion.modelId}, task trains ${s.config.base.modelId}` }))
    }
    const left = remaining(s.escrow)
    // An even share per remaining round; the last round may spend all that is left.
    const perRound = s.escrow.escrowed / BigInt(criteria.maxRounds)
    const pot = c.round === criteria.maxRounds ? left : perRound < left ? perRound : left
    return Result.succeed([
      {
        _tag: "RoundStarted",
        taskId: c.taskId,
        round: c.round,
        base: { modelId: c.latestVersion.modelId, version: c.latestVersion.version, weightsHash: c.latestVersion.weightsHash },
        pot,
        startedAt: c.at,
        deadline: addSeconds(c.at, criteria.roundDeadlineSeconds)
      }
    ])
  })

const shardIndex = (s: TaskData) => new Map(s.config.trainingShards.map((sh) => [sh.shardId as string, sh]))

export const dispatchTraining = (c: DispatchTraining, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision => {
    if (!mayCoordinate(s, c)) return Result.fail(new NotTaskOwner({ taskId: c.taskId, actor: c.actor }))
    return Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const shards = shardIndex(s)
      const earlier = new Map(round.assignments.map((a) => [a.slot, a]))
      if (new Set(c.assignments.map((a) => a.slot)).size !== c.assignments.length) {
        return Result.fail(new TaskConfigInvalid({ reason: "each slot at most once per dispatch" }))
      }
      for (const a of c.assignments) {
        if (s.participants.get(a.nodeId)?.role !== "trainer") return Result.fail(new NotParticipant({ nodeId: a.nodeId, role: "trainer" }))
        const unknown = a.shardIds.find((id) => !shards.has(id))
        if (unknown) return Result.fail(new UnknownShard({ shardId: unknown }))
        // Reassigning a slot keeps its work: same shards, same seed.
        const before = earlier.get(a.slot)
        if (before && !sameWork(before, a)) {
          return Result.fail(new TaskConfigInvalid({ reason: `slot ${a.slot} was dispatched with other shards or seed` }))
        }
      }
      return Result.succeed([{ _tag: "TrainingDispatched", taskId: c.taskId, round: c.round, assignments: c.assignments, dispatchedAt: c.at }])
    })
  })

export const submitResult = (c: SubmitResult, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const trainer = s.participants.get(c.nodeId)
      if (trainer?.role !== "trainer") return Result.fail(new NotParticipant({ nodeId: c.nodeId, role: "trainer" }))
      if (c.actor !== trainer.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
      if (Date.parse(c.at) > Date.parse(round.deadline)) return Result.fail(new RoundDeadlinePassed({ deadline: round.deadline }))
      if (round.results.has(c.resultId)) return Result.fail(new ResultAlreadySubmitted({ resultId: c.resultId }))
      if (round.assignments.length > 0) {
        // Dispatched rounds: a result must be one of the dispatched units of
        // work, and a unit is paid once (a reassigned slot may be delivered by
        // its new trainer unless a live result for it already exists).
        const slot = round.assignments.find((a) => sameWork(a, c.proof))
        if (!slot) return Result.fail(new ProofMismatch({ reason: "shards and seed match no dispatched assignment of this round" }))
        if (!round.assignments.some((a) => a.slot === slot.slot && a.nodeId === c.nodeId)) {
          return Result.fail(new NotParticipant({ nodeId: c.nodeId, role: `assignee of slot ${slot.slot}` }))
        }
        const live = [...round.results.values()].find((r) => sameWork(r.proof, c.proof) && r.outcome !== "rejected")
        if (live) return Result.fail(new ResultAlreadySubmitted({ resultId: live.resultId }))
      } else {
        const earlier = [...round.results.values()].find((r) => r.nodeId === c.nodeId)
        if (earlier) return Result.fail(new ResultAlreadySubmitted({ resultId: earlier.resultId }))
      }
      if (c.proof.baseWeightsHash !== round.base.weightsHash) {
        return Result.fail(new ProofMismatch({ reason: `trained from ${c.proof.baseWeightsHash}, round ${c.round} starts from ${round.base.weightsHash}` }))
      }
      const shards = shardIndex(s)
      if (c.proof.shardHashes.length !== c.proof.shardIds.length) {
        return Result.fail(new ProofMismatch({ reason: "one shard hash per shard id" }))
      }
      for (const [i, id] of c.proof.shardIds.entries()) {
        const shard = shards.get(id)
        if (!shard) return Result.fail(new UnknownShard({ shardId: id }))
        if (shard.contentHash !== c.proof.shardHashes[i]) return Result.fail(new ProofMismatch({ reason: `shard ${id} hash differs from the registered one` }))
      }
      const validators = selectValidators(
        c.resultId,
        { nodeId: c.nodeId, address: trainer.address },
        [...s.participants.values()].filter((p) => p.role === "validator"),
        s.config.criteria.validatorsPerResult
      )
      if (validators.length < s.config.criteria.validatorsPerResult) {
        return Result.fail(new NotEnoughParticipants({ role: "validator", needed: s.config.criteria.validatorsPerResult, have: validators.length }))
      }
      return Result.succeed([
        { _tag: "ResultSubmitted", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: c.nodeId, trainer: trainer.address, proof: c.proof, submittedAt: c.at },
        { _tag: "VerificationRequested", taskId: c.taskId, round: c.round, resultId: c.resultId, validators, requestedAt: c.at }
      ])
    })
  )

export const castVerificationVote = (c: CastVerificationVote, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision =>
    Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const result = round.results.get(c.resultId)
      if (!result) return Result.fail(new ResultNotFound({ resultId: c.resultId }))
      if (!result.validators.includes(c.nodeId)) return Result.fail(new NotAssignedValidator({ resultId: c.resultId, nodeId: c.nodeId }))
      const validator = s.participants.get(c.nodeId)!
      if (c.actor !== validator.address) return Result.fail(new NotNodeKey({ nodeId: c.nodeId, actor: c.actor }))
      if (result.votes.some((v) => v.nodeId === c.nodeId)) return Result.fail(new AlreadyVoted({ resultId: c.resultId, nodeId: c.nodeId }))
      const voted: TaskEvent = {
        _tag: "VerificationVoted",
        taskId: c.taskId,
        round: c.round,
        resultId: c.resultId,
        nodeId: c.nodeId,
        validator: validator.address,
        verdict: c.verdict,
        measured: c.measured,
        reproduction: c.reproduction,
        ...(c.predictionsDigest === undefined ? {} : { predictionsDigest: c.predictionsDigest }),
        ...(c.reason === undefined ? {} : { reason: c.reason }),
        votedAt: c.at
      }
      // Every assigned validator may vote until the round closes; a vote after
      // the decision is recorded (and paid if it agrees) but decides nothing.
      if (result.outcome) return Result.succeed([voted])
      const votes = [...result.votes, { nodeId: c.nodeId, validator: validator.address, verdict: c.verdict, measured: c.measured }]
      const consensus = tallyVotes(votes, s.config.criteria.quorum)
      switch (consensus.outcome) {
        case "pending":
          return Result.succeed([voted])
        case "verified":
          return Result.succeed([
            voted,
            { _tag: "ResultVerified", taskId: c.taskId, round: c.round, resultId: c.resultId, nodeId: result.nodeId, consensusMetrics: consensus.metrics, tally: consensus.tally, verifiedAt: c.at }
          ])
        case "rejected":
          return Result.succeed([
            voted,
            {
              _tag: "ResultRejected",
              taskId: c.taskId,
              round: c.round,
              resultId: c.resultId,
              nodeId: result.nodeId,
              reason: consensus.reason,
              tally: consensus.tally,
              penalized: s.config.criteria.penalizeRejected,
              rejectedAt: c.at
            }
          ])
      }
    })
  )

export const closeRound = (c: CloseRound, state: TaskState): Decision =>
  Result.flatMap(live(c.taskId, state), (s): Decision => {
    if (!mayCoordinate(s, c)) return Result.fail(new NotTaskOwner({ taskId: c.taskId, actor: c.actor }))
    return Result.flatMap(runningRound(s, c.taskId, c.round), (round): Decision => {
      const undecided = [...round.results.values()].filter((r) => !r.outcome)
      const pastDeadline = Date.parse(c.at) > Date.parse(round.deadline)
      if (undecided.length > 0 && !pastDeadline) return Result.fail(new RoundStillOpen({ pending: undecided.length, deadline: round.deadline }))
      // Results nobody finished verifying by the deadline earn nothing, without penalty.
      const expired: Array<TaskEvent> = undecided.map((r) => ({
        _tag: "ResultRejected",
        taskId: c.taskId,
        round: c.round,
        resultId: r.resultId,
        nodeId: r.nodeId,
        reason: "not verified by the round deadline",
        tally: { accept: r.votes.filter((v) => v.verdict === "accept").length, reject: r.votes.filter((v) => v.verdict === "reject").length },
        penalized: false,
        rejectedAt: c.at
      }))
      const results = new Map<ResultId, ResultState>(round.results)
      for (const r of undecided) results.set(r.resultId, { ...r, outcome: "rejected", penalized: false })
      const disputes = c.disputedVotes ?? []
      for (const d of disputes) {
        const r = results.get(d.resultId)
        if (!r || !r.votes.some((v) => v.nodeId === d.nodeId)) {
          return Result.fail(new TaskConfigInvalid({ reason: `disputed vote ${d.resultId}/${d.nodeId} does not exist` }))
        }
        results.set(d.resultId, { ...r, votes: r.votes.map((v) => (v.nodeId === d.nodeId ? { ...v, disputed: true } : v)) })
      }
      const verified = [...results.values()].filter((r) => r.outcome === "verified").map((r) => r.resultId)
      const rejected = [...results.values()].filter((r) => r.outcome === "rejected").map((r) => r.resultId)
      if (verified.length > 0 && !c.newVersion) return Result.fail(new NewVersionRequired({ reason: "verified results must be aggregated into a new model version" }))
      if (verified.length === 0 && c.newVersion) return Result.fail(new NewVersionRequired({ reason: "no verified result to aggregate" }))
      if (c.newVersion && c.newVersion.ref.modelId !== s.config.base.modelId) {
        return Result.fail(new TaskConfigInvalid({ reason: `new version is of ${c.newVersion.ref.modelId}, task trains ${s.config.base.modelId}` }))
      }

      const payouts = roundPayouts({
        round: { ...round, results },
        split: s.config.rewardSplit,
        shards: s.config.trainingShards,
        baseAccuracy: s.latest.metrics?.accuracy ?? 0,
        penalizeRejected: s.config.criteria.penalizeRejected
      })
      return Result.flatMap(pay(s.escrow, payouts), (afterPayouts): Decision => {
        const paidOut = payouts.reduce((sum, p) => sum + p.amount, 0n)
        const events: Array<TaskEvent> = [
          ...expired,
          ...payouts.map((p): TaskEvent => ({
            _tag: "RewardAllocated",
            taskId: c.taskId,
            round: c.round,
            recipient: p.recipient,
            ...(p.nodeId === undefined ? {} : { nodeId: p.nodeId }),
            role: p.role,
            amount: p.amount,
            reason: p.reason,
            allocatedAt: c.at
          })),
          {
            _tag: "RoundClosed",
            taskId: c.taskId,
            round: c.round,
            verifiedResults: verified,
            rejectedResults: rejected,
            ...(c.newVersion ? { newVersion: c.newVersion.ref, metrics: c.newVersion.metrics } : {}),
            ...(disputes.length > 0 ? { disputedVotes: disputes } : {}),
            paidOut,
            closedAt: c.at
          }
        ]
        const latest = c.newVersion ? { ref: c.newVersion.ref, metrics: c.newVersion.metrics } : s.latest
        const left = remaining(afterPayouts)
        const refund = (): Array<TaskEvent> =>
          left > 0n ? [{ _tag: "BudgetRefunded", taskId: c.taskId, owner: s.config.owner, amount: left, refundedAt: c.at }] : []
        if (latest.metrics && latest.metrics.accuracy >= s.config.objective.target) {
          events.push({ _tag: "TaskCompleted", taskId: c.taskId, round: c.round, finalVersion: latest.ref, metrics: latest.metrics, completedAt: c.at }, ...refund())
        } else if (c.round >= s.config.criteria.maxRounds || left === 0n) {
          events.push(
            {
              _tag: "TaskExhausted",
              taskId: c.taskId,
              round: c.round,
              reason: left === 0n ? "budget" : "rounds",
              bestVersion: latest.ref,
              ...(latest.metrics ? { metrics: latest.metrics } : {}),
              exhaustedAt: c.at
            },
            ...refund()
          )
        } else {
          const reason = latest.metrics
            ? `accuracy ${latest.metrics.accuracy.toFixed(4)} below target ${s.config.objective.target}`
            : "no verified result yet"
          events.push({ _tag: "TaskContinued", taskId: c.taskId, round: c.round, nextRound: c.round + 1, reason, continuedAt: c.at })
        }
        return Result.succeed(events)
      })
    })
  })

export const decide = (command: TaskCommand, state: TaskState): Decision => {
  switch (command._tag) {
    case "CreateTask":
      return createTask(command, state)
    case "JoinTask":
      return joinTask(command, state)
    case "StartRound":
      return startRound(command, state)
    case "DispatchTraining":
      return dispatchTraining(command, state)
    case "SubmitResult":
      return submitResult(command, state)
    case "CastVerificationVote":
      return castVerificationVote(command, state)
    case "ReplaceValidator":
      return replaceValidator(command, state)
    case "CloseRound":
      return closeRound(command, state)
    default: {
      const unhandled: never = command
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`)
    }
  }
}
