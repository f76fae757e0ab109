import { NotDeposited } from "../escrow/errors"
import { Result } from "effect"
import type { CreateTask, DispatchTraining, JoinTask, StartRound, TaskCommand } from "./commands"
import { challengeResult, finalizeResult, resolveChallenge } from "./challenge"
import { answerDispute } from "./bisection"
import { commitRuling, revealRuling } from "./jury"
import { closeRound } from "./closeRound"
import { quorumProblem } from "./consensus"
import {
  AlreadyJoined,
  ModelNotUsable,
  NodeLacksRole,
  NotEnoughParticipants,
  NotModelOwner,
  NotNodeKey,
  NotParticipant,
  NotTaskOwner,
  RoundAlreadyRunning,
  RoundLimitReached,
  TaskAlreadyExists,
  TaskConfigInvalid,
  TopologyInvalid,
  MetricNotOffered,
  DatasetFormatMismatch,
  UnknownShard,
  WrongRound
} from "./errors"
import type { TrainingShard } from "./events"
import { addSeconds } from "../primitives"
import { count, live, mayCoordinate, runningRound, shardIndex, type Decision } from "./guards"
import { replaceValidator } from "./replaceValidator"
import type { TaskState } from "./state"
import { drawResultValidators, submitResult } from "./submitResult"
import { commitVote, revealVote } from "./votes"
import { sameWork } from "./work"
import { remaining } from "../ledger/ledger"
import { StakeTooLow } from "../node/errors"

export { closeRound, submitResult }

export const createTask = (c: CreateTask, state: TaskState): Decision => {
  if (state.status !== "none") return Result.fail(new TaskAlreadyExists({ taskId: c.taskId }))
  const { criteria, rewardSplit: split } = c
  const quorum = quorumProblem(criteria.validatorsPerResult, criteria.quorum)
  if (quorum) return Result.fail(new TaskConfigInvalid({ reason: quorum }))
  if (split.trainersBps + split.validatorsBps + split.dataProvidersBps !== 10_000) {
    return Result.fail(new TaskConfigInvalid({ reason: "rewardSplit must add up to 10000 basis points" }))
  }
  if (c.budget <= 0n) return Result.fail(new TaskConfigInvalid({ reason: "budget must be positive" }))
  if (c.deposited !== undefined && c.deposited < c.budget) {
    return Result.fail(new NotDeposited({ account: `task:${c.taskId}`, needed: String(c.budget), deposited: String(c.deposited) }))
  }
  if (c.baseModel.modelId !== c.base.modelId || c.baseModel.version !== c.base.version) {
    return Result.fail(new TaskConfigInvalid({ reason: "base model facts do not match the requested base" }))
  }
  if (c.baseModel.owner !== c.actor) return Result.fail(new NotModelOwner({ modelId: c.base.modelId, actor: c.actor }))
  if (c.baseModel.status === "delisted") return Result.fail(new ModelNotUsable({ modelId: c.base.modelId, reason: "delisted" }))
  const w = c.workloadFacts
  if (w.workloadId !== (c.workload ?? "digits")) return Result.fail(new TaskConfigInvalid({ reason: "workload facts do not match the requested workload" }))
  if (w.topologyProblem) return Result.fail(new TopologyInvalid({ workload: w.workloadId, reason: w.topologyProblem }))
  const metric = w.metrics.find((m) => m.name === c.objective.metric)
  if (!metric) return Result.fail(new MetricNotOffered({ workload: w.workloadId, metric: c.objective.metric, offered: w.metrics.map((m) => m.name).join(", ") }))
  const wrongFormat = [...c.trainingDatasets, c.validationDataset].find((d) => d.format !== w.datasetFormat)
  if (wrongFormat) return Result.fail(new DatasetFormatMismatch({ datasetId: wrongFormat.datasetId, format: wrongFormat.format, expected: w.datasetFormat }))
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
      workload: w.workloadId,
      base: { modelId: c.base.modelId, version: c.base.version, weightsHash: c.baseModel.weightsHash },
      trainingShards,
      validation: {
        datasetId: c.validationDataset.datasetId,
        contentHash: c.validationDataset.contentHash,
        sampleCount: c.validationDataset.sampleCount
      },
      objective: { metric: c.objective.metric, target: c.objective.target, direction: metric.direction },
      training: c.training,
      criteria: c.criteria,
      rewardSplit: c.rewardSplit,
      budget: c.budget,
      protocol: c.protocol,
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
    // Taking part is backed by stake: what a ruling can slash, and the node's weight in validator draws.
    const needed = s.config.protocol.minStake[c.role]
    if (c.stakeCommitted < needed) return Result.fail(new StakeTooLow({ nodeId: c.nodeId, needed: String(needed), free: String(c.stakeCommitted) }))
    return Result.succeed([
      {
        _tag: "NodeJoinedTask",
        taskId: c.taskId,
        nodeId: c.nodeId,
        address: c.node.address,
        role: c.role,
        capabilities: c.node.capabilities,
        stake: c.stakeCommitted,
        joinedAt: c.at
      }
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
    // Data accepted into the task's training datasets since the last round trains from this one.
    const taskDatasets = new Set(s.config.trainingShards.map((sh) => sh.datasetId as string))
    const known = shardIndex(s)
    const addedShards: Array<TrainingShard> = (c.trainingDatasets ?? [])
      .filter((d) => taskDatasets.has(d.datasetId))
      .flatMap((d) => d.shards.filter((sh) => !known.has(sh.shardId)).map((sh) => ({ datasetId: d.datasetId, ...sh })))
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
        ...(addedShards.length > 0 ? { addedShards } : {}),
        startedAt: c.at,
        deadline: addSeconds(c.at, criteria.roundDeadlineSeconds)
      }
    ])
  })


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
    case "DrawValidators":
      return drawResultValidators(command, state)
    case "CommitVote":
      return commitVote(command, state)
    case "CastVerificationVote":
      return revealVote(command, state)
    case "AnswerDispute":
      return answerDispute(command, state)
    case "CommitRuling":
      return commitRuling(command, state)
    case "RevealRuling":
      return revealRuling(command, state)
    case "ReplaceValidator":
      return replaceValidator(command, state)
    case "CloseRound":
      return closeRound(command, state)
    case "ChallengeResult":
      return challengeResult(command, state)
    case "ResolveChallenge":
      return resolveChallenge(command, state)
    case "FinalizeResult":
      return finalizeResult(command, state)
    default: {
      const unhandled: never = command
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`)
    }
  }
}
