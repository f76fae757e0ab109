import { Effect, Result } from "effect"
import { MODEL_CATALOG_STREAM, model, modelCatalog, modelStream } from "../../domain/model"
import {
  AllocateModelId,
  CastProposalVote,
  CastProposalVotePayload,
  CloseProposal,
  CloseProposalPayload,
  CreateModelVersion,
  CreateModelVersionPayload,
  ForkModel,
  ForkModelPayload,
  OpenProposal,
  OpenProposalPayload,
  RecordFork,
  RegisterModel,
  RegisterModelPayload,
  ImportModel,
  ImportModelPayload
} from "../../domain/model/commands"
import { ModelVersionNotFound } from "../../domain/model/errors"
import type { ModelId } from "../../domain/primitives"
import type { EventTooLarge, InvalidEvent } from "../../domain/ports"
import type { EventMetadata } from "../../domain/recordedEvent"
import { prepareAppend } from "../../infra/eventStore/codec"
import { loadBondedTotal, loadNodeStake } from "../stakeFacts"
import { commandSpec, step, type CommandContext } from "../commandSpec"
import { loadModelState, loadNodeFacts, topologyHash } from "../facts"
import { handleCommand } from "../handleCommand"
import { findVersion } from "../../domain/model/state"


/**
 * Decide a genesis (RegisterModel / ImportModel / ForkModel) on a fresh model before any id
 * is allocated, and check its events would be stored (schema, size): a
 * refused command appends nothing, not even an id allocation.
 */
const decideBeforeAllocating = (command: RegisterModel | ImportModel | ForkModel, metadata: EventMetadata) =>
  Effect.gen(function* () {
    const decision = model.decide(command, model.initialState)
    if (Result.isFailure(decision)) return yield* Effect.fail(decision.failure)
    yield* Effect.try({
      try: () => prepareAppend({ stream: modelStream(command.modelId), expectedRevision: "no_stream", events: decision.success, commandId: metadata.commandId, metadata }),
      catch: (e) => e as InvalidEvent | EventTooLarge
    })
  })

/** The id a dry run uses; the real one is allocated only after the dry run passed. */
const PROVISIONAL_ID = "M-999999999" as ModelId

/**
 * Model numbers come from the catalog stream. A retried command gets the
 * number it was first given (idempotent allocation), so a crash between the
 * two appends never burns a second number.
 */
const allocateModelId = (ctx: CommandContext) =>
  Effect.map(
    handleCommand(modelCatalog, MODEL_CATALOG_STREAM, new AllocateModelId({ actor: ctx.actor, at: ctx.at }), step(ctx.metadata, "allocate")),
    (outcome) => {
      const allocated = outcome.events[0]!.data
      return allocated._tag === "ModelIdAllocated" ? allocated.modelId : (undefined as never)
    }
  )


export const modelCommands = [
  commandSpec({
    type: "RegisterModel",
    aggregate: "model",
    summary: "Register a model (TF.js Layers topology + initial weights hash); it gets the next id M-<n> and version v1.",
    payload: RegisterModelPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const register = (modelId: ModelId) =>
          new RegisterModel({ ...p, modelId, topologyHash: topologyHash(p.topology), actor: ctx.actor, at: ctx.at })
        yield* decideBeforeAllocating(register(PROVISIONAL_ID), ctx.metadata)
        const modelId = yield* allocateModelId(ctx)
        return yield* handleCommand(model, modelStream(modelId), register(modelId), ctx.metadata)
      })
  }),
  commandSpec({
    type: "ImportModel",
    aggregate: "model",
    summary:
      "Register a model built elsewhere: its artefact (ONNX Dense stack, or a TF.js Layers / Keras model.json with inlined weights), uploaded first as PUT /weights/sha256-<hex>, with its neura-model.json manifest; checked against the claimed workload and converted, it gets the next id M-<n> and version v1 and trains, forks and publishes like any model. 400 ImportRefused with the reason otherwise.",
    payload: ImportModelPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const conversion = yield* ctx.convertArtefact(p.manifest, p.artefactHash)
        const importIt = (modelId: ModelId) => new ImportModel({ ...p, modelId, conversion, actor: ctx.actor, at: ctx.at })
        yield* decideBeforeAllocating(importIt(PROVISIONAL_ID), ctx.metadata)
        const modelId = yield* allocateModelId(ctx)
        return yield* handleCommand(model, modelStream(modelId), importIt(modelId), ctx.metadata)
      })
  }),
  commandSpec({
    type: "ForkModel",
    aggregate: "model",
    summary: "Branch a model version into a new model (published versions by anyone, unpublished by their owner).",
    payload: ForkModelPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const parent = yield* loadModelState(p.parent.modelId)
        const version = findVersion(parent.versions, p.parent.version)
        if (!version) return yield* Effect.fail(new ModelVersionNotFound({ modelId: p.parent.modelId, version: p.parent.version }))
        const fork = (modelId: ModelId) =>
          new ForkModel({
            ...p,
            modelId,
            parentFacts: {
              owner: parent.owner,
              status: parent.status,
              publishedVersions: parent.publishedVersions,
              weightsHash: version.weightsHash,
              topology: parent.topology,
              topologyHash: parent.topologyHash
            },
            actor: ctx.actor,
            at: ctx.at
          })
        yield* decideBeforeAllocating(fork(PROVISIONAL_ID), ctx.metadata)
        const modelId: ModelId = yield* allocateModelId(ctx)
        const child = yield* handleCommand(model, modelStream(modelId), fork(modelId), ctx.metadata)
        const recorded = yield* handleCommand(
          model,
          modelStream(p.parent.modelId),
          new RecordFork({ modelId: p.parent.modelId, version: p.parent.version, childModelId: modelId, actor: ctx.actor, at: ctx.at }),
          step(ctx.metadata, "recordFork")
        )
        return [child, recorded]
      })
  }),
  commandSpec({
    type: "CreateModelVersion",
    aggregate: "model",
    summary: "Add the next version (new weights with lineage: task, round, results, datasets, nodes) — owner or coordinator.",
    payload: CreateModelVersionPayload,
    handle: (p, ctx) =>
      handleCommand(
        model,
        modelStream(p.modelId),
        new CreateModelVersion({ ...p, actor: ctx.actor, at: ctx.at, actorIsCoordinator: ctx.actorIsCoordinator }),
        ctx.metadata
      )
  }),
  commandSpec({
    type: "OpenProposal",
    aggregate: "model",
    summary: "A registered node proposes to publish a version, delist the model or modify its metadata (DAO); the protocol sets the voting period and the quorum (a share of all bonded stake).",
    payload: OpenProposalPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const proposerNode = yield* loadNodeFacts(p.nodeId)
        const bondedTotal = yield* loadBondedTotal()
        const { votingSeconds, quorumBps } = ctx.protocol
        return yield* handleCommand(
          model,
          modelStream(p.modelId),
          new OpenProposal({ ...p, actor: ctx.actor, at: ctx.at, proposerNode, votingSeconds, quorumBps, bondedTotal }),
          ctx.metadata
        )
      })
  }),
  commandSpec({
    type: "CastProposalVote",
    aggregate: "model",
    summary: "A node votes for or against a proposal, weighted by its bonded stake (one vote per node and key).",
    payload: CastProposalVotePayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const voterNode = yield* loadNodeFacts(p.nodeId)
        const voterStake = yield* loadNodeStake(p.nodeId)
        return yield* handleCommand(model, modelStream(p.modelId), new CastProposalVote({ ...p, actor: ctx.actor, at: ctx.at, voterNode, voterStake }), ctx.metadata)
      })
  }),
  commandSpec({
    type: "CloseProposal",
    aggregate: "model",
    summary: "After its closing time, settle a proposal: publish / delist / modify when a stake majority reached the stake quorum, else reject.",
    payload: CloseProposalPayload,
    handle: (p, ctx) => handleCommand(model, modelStream(p.modelId), new CloseProposal({ ...p, actor: ctx.actor, at: ctx.at }), ctx.metadata)
  })
]
