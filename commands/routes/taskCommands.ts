import { Effect } from "effect"
import { task, taskStream } from "../../domain/task"
import {
  CastVerificationVote,
  CastVerificationVotePayload,
  CloseRound,
  CloseRoundPayload,
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
import { commandSpec } from "../commandSpec"
import { loadDatasetFacts, loadModelVersionFacts, loadNodeFacts, loadTaskModelId } from "../facts"
import { handleCommand } from "../handleCommand"

export const taskCommands = [
  commandSpec({
    type: "CreateTask",
    aggregate: "task",
    summary: "Define a training task on a model version you own: datasets, objective, budget (escrowed), criteria, reward split.",
    payload: CreateTaskPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const baseModel = yield* loadModelVersionFacts(p.base.modelId, p.base.version)
        const trainingDatasets = yield* Effect.forEach(p.datasets.training, (id) => loadDatasetFacts(id))
        const validationDataset = yield* loadDatasetFacts(p.datasets.validation)
        return yield* handleCommand(
          task,
          taskStream(p.taskId),
          new CreateTask({ ...p, actor: ctx.actor, at: ctx.at, baseModel, trainingDatasets, validationDataset }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "JoinTask",
    aggregate: "task",
    summary: "A registered node opts into a task as trainer or validator (signed by the node).",
    payload: JoinTaskPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const facts = yield* loadNodeFacts(p.nodeId)
        return yield* handleCommand(task, taskStream(p.taskId), new JoinTask({ ...p, actor: ctx.actor, at: ctx.at, node: facts }), ctx.metadata)
      })
  }),
  commandSpec({
    type: "StartRound",
    aggregate: "task",
    summary: "Start the next training round from the model's latest version (task owner or coordinator).",
    payload: StartRoundPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const modelId = yield* loadTaskModelId(p.taskId)
        const latestVersion = yield* loadModelVersionFacts(modelId)
        return yield* handleCommand(
          task,
          taskStream(p.taskId),
          new StartRound({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator, latestVersion }),
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
    type: "CastVerificationVote",
    aggregate: "task",
    summary: "An assigned validator votes on a result with its own measurements; a quorum decides it.",
    payload: CastVerificationVotePayload,
    handle: (p, ctx) => handleCommand(task, taskStream(p.taskId), new CastVerificationVote({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
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
  })
]

