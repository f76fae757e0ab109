import { Effect } from "effect"
import { task, taskStream } from "../../domain/task"
import {
  AnswerDispute,
  AnswerDisputePayload,
  CommitRuling,
  CommitRulingPayload,
  RevealRuling,
  RevealRulingPayload,
  CastVerificationVote,
  CastVerificationVotePayload,
  ChallengeResult,
  ChallengeResultPayload,
  CloseRound,
  CloseRoundPayload,
  FinalizeResult,
  FinalizeResultPayload,
  ResolveChallenge,
  ResolveChallengePayload,
  CommitVote,
  CommitVotePayload,
  DrawValidators,
  DrawValidatorsPayload,
  CreateTask,
  CreateTaskPayload,
  DispatchTraining,
  DispatchTrainingPayload,
  JoinTask,
  JoinTaskPayload,
  ReplaceValidator,
  ReplaceValidatorPayload,
  StartRound,
  StartRoundPayload,
  SubmitResult,
  SubmitResultPayload
} from "../../domain/task/commands"
import { nodeStakeDecider, nodeStream } from "../../domain/node"
import { CommitStake } from "../../domain/node/stake"
import { commandSpec, step } from "../commandSpec"
import { loadDatasetFacts, loadModelVersionFacts, loadNodeFacts, loadNodeState, loadResultCommitHash, loadTaskState } from "../facts"
import { loadWorkloadFacts } from "../workloadFacts"
import { TaskNotFound } from "../../domain/task/errors"
import { handleCommand } from "../handleCommand"
import { loadDeposited } from "../escrowFacts"

export const taskCommands = [
  commandSpec({
    type: "CreateTask",
    aggregate: "task",
    summary: "Define a training task on a model version you own: datasets, objective, budget (escrowed), criteria, reward split.",
    payload: CreateTaskPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const baseModel = yield* loadModelVersionFacts(p.base.modelId, p.base.version)
        const workloadFacts = yield* loadWorkloadFacts(p.workload, p.base.modelId)
        const trainingDatasets = yield* Effect.forEach(p.datasets.training, (id) => loadDatasetFacts(id))
        const validationDataset = yield* loadDatasetFacts(p.datasets.validation)
        // With on-chain settlement only the creator's own recorded deposits back the budget (nobody spends another's deposit).
        const deposited = ctx.settlement ? yield* loadDeposited({ _tag: "Task", taskId: p.taskId }, ctx.actor) : undefined
        return yield* handleCommand(
          task,
          taskStream(p.taskId),
          new CreateTask({ ...p, actor: ctx.actor, at: ctx.at, baseModel, workloadFacts, trainingDatasets, validationDataset, protocol: ctx.protocol, ...(deposited === undefined ? {} : { deposited }) }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "JoinTask",
    aggregate: "task",
    summary: "A registered node opts into a task as trainer or validator (signed by the node), committing the task's minimum stake for the role.",
    payload: JoinTaskPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const facts = yield* loadNodeFacts(p.nodeId)
        const taskState = yield* loadTaskState(p.taskId)
        const join = (stakeCommitted: bigint) => new JoinTask({ ...p, actor: ctx.actor, at: ctx.at, node: facts, stakeCommitted })
        // Decide on the task first with the stake the node could commit (dry
        // run): a refused join locks no stake.
        const nodeState = yield* loadNodeState(p.nodeId)
        const minimum = taskState.status === "none" ? 0n : taskState.config.protocol.minStake[p.role]
        const needed = p.stake !== undefined && p.stake > minimum ? p.stake : minimum
        const already = nodeState.status === "registered" ? nodeState.stake.committed.get(p.taskId) : undefined
        const free = nodeState.status === "registered" ? nodeState.stake.free : 0n
        const dryRun = task.decide(join(already ?? (free < needed ? free : needed)), taskState)
        // Already joined: a retry is answered from the log (or AlreadyJoined), without touching stake.
        if (dryRun._tag === "Failure" && dryRun.failure._tag === "AlreadyJoined") return yield* handleCommand(task, taskStream(p.taskId), join(already ?? 0n), ctx.metadata)
        if (dryRun._tag === "Failure") return yield* Effect.fail(dryRun.failure)
        yield* handleCommand(
          nodeStakeDecider,
          nodeStream(p.nodeId),
          new CommitStake({ nodeId: p.nodeId, taskId: p.taskId, amount: needed, actor: ctx.actor, at: ctx.at }),
          step(ctx.metadata, "commitStake")
        )
        const after = yield* loadNodeState(p.nodeId)
        const committed = after.status === "registered" ? (after.stake.committed.get(p.taskId) ?? 0n) : 0n
        return yield* handleCommand(task, taskStream(p.taskId), join(committed), ctx.metadata)
      })
  }),
  commandSpec({
    type: "StartRound",
    aggregate: "task",
    summary: "Start the next training round from the model's latest version (task owner or coordinator).",
    payload: StartRoundPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const taskState = yield* loadTaskState(p.taskId)
        if (taskState.status === "none") return yield* Effect.fail(new TaskNotFound({ taskId: p.taskId }))
        const latestVersion = yield* loadModelVersionFacts(taskState.config.base.modelId)
        // Its training datasets now: data accepted since the last round joins the task from this one.
        const datasetIds = [...new Set(taskState.config.trainingShards.map((s) => s.datasetId as string))]
        const trainingDatasets = yield* Effect.forEach(datasetIds, (id) => loadDatasetFacts(id))
        return yield* handleCommand(
          task,
          taskStream(p.taskId),
          new StartRound({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator, latestVersion, trainingDatasets }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "DispatchTraining",
    aggregate: "task",
    summary: "Record which shards each trainer trains this round (coordinator or owner).",
    payload: DispatchTrainingPayload,
    handle: (p, ctx) =>
      handleCommand(
        task,
        taskStream(p.taskId),
        new DispatchTraining({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator }),
        ctx.metadata
      )
  }),
  commandSpec({
    type: "SubmitResult",
    aggregate: "task",
    summary: "A trainer submits its signed result with proof; validators are assigned deterministically.",
    payload: SubmitResultPayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new SubmitResult({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "DrawValidators",
    aggregate: "task",
    summary: "Draw a result's validators (by stake) and its audited segment from the hash of the log entry that recorded it (anyone may ask; nobody chooses).",
    payload: DrawValidatorsPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const resultCommitHash = yield* loadResultCommitHash(p.taskId, p.resultId)
        return yield* handleCommand(task, taskStream(p.taskId), new DrawValidators({ ...p, actor: ctx.actor, at: ctx.at, resultCommitHash }), ctx.metadata)
      })
  }),
  commandSpec({
    type: "CommitVote",
    aggregate: "task",
    summary: "A drawn validator commits its hidden vote: sha256 of its verdict, segment evidence and a salt (see voteCommitment).",
    payload: CommitVotePayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new CommitVote({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "CastVerificationVote",
    aggregate: "task",
    summary: "A validator reveals its committed vote (verdict, measurements, segment evidence with its leaf after every step of the segment, salt) once every judge committed or the commit window passed; a quorum of agreeing, uncontested reveals decides.",
    payload: CastVerificationVotePayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new CastVerificationVote({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "AnswerDispute",
    aggregate: "task",
    summary: "The trainer of a contested result opens its audited segment: its state after every step (uploaded, by content hash), ending in its committed state; the first step where it and a disagreeing judge's list part is the one the referee replays.",
    payload: AnswerDisputePayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new AnswerDispute({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "CommitRuling",
    aggregate: "task",
    summary: "A juror of a bisected dispute (any staked validator of the task but the trainer) commits its hidden ruling: sha256 of its leaf for each disputed step and a salt (see rulingCommitment).",
    payload: CommitRulingPayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new CommitRuling({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "RevealRuling",
    aggregate: "task",
    summary: "A juror reveals its committed ruling once every juror committed or a commit window after the trainer's answer passed; a strict majority of the jury's stake on every step rules the dispute.",
    payload: RevealRulingPayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new RevealRuling({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "ReplaceValidator",
    aggregate: "task",
    summary: "Put another validator on an undecided result in place of an assigned one that went silent (coordinator or owner).",
    payload: ReplaceValidatorPayload,
    handle: (p, ctx) =>
      handleCommand(
        task,
        taskStream(p.taskId),
        new ReplaceValidator({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator }),
        ctx.metadata
      )
  }),
  commandSpec({
    type: "CloseRound",
    aggregate: "task",
    summary: "Close the round: pay rewards, record the aggregated version, then complete, continue or exhaust the task.",
    payload: CloseRoundPayload,
    handle: (p, ctx) =>
      handleCommand(
        task,
        taskStream(p.taskId),
        new CloseRound({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator }),
        ctx.metadata
      )
  }),
  commandSpec({
    type: "ChallengeResult",
    aggregate: "task",
    summary: "Inside a verified result's challenge window, a staked node of the task that re-executed one of its segments to another state disputes it.",
    payload: ChallengeResultPayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new ChallengeResult({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  }),
  commandSpec({
    type: "ResolveChallenge",
    aggregate: "task",
    summary: "The referee's re-execution of a challenged segment (coordinator or owner): the side it proves wrong is slashed.",
    payload: ResolveChallengePayload,
    handle: (p, ctx) =>
      handleCommand(task, taskStream(p.taskId), new ResolveChallenge({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator }), ctx.metadata)
  }),
  commandSpec({
    type: "FinalizeResult",
    aggregate: "task",
    summary: "Once a verified result's challenge window has passed unchallenged (anyone may ask): it is final and its held reward is paid.",
    payload: FinalizeResultPayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new FinalizeResult({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  })
]
