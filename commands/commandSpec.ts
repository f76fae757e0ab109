import type { SettlementChain } from "./escrowFacts"
import type { Effect, Schema } from "effect"
import type { ChainUnavailable } from "../chain-bridge/ChainClient"
import type { OnChainAnchorFacts } from "../domain/anchor/commands"
import type { EventStore } from "../domain/ports"
import type { ImportConversion, NeuraModelManifest } from "../domain/model/manifest"
import type { ArtefactNotFound } from "./apiErrors"
import type { Address } from "../domain/primitives"
import type { ProtocolParams } from "../domain/protocol"
import type { EventMetadata } from "../domain/recordedEvent"
import type { CommandOutcome } from "./handleCommand"

/** What the API knows about a verified command when it hands it to a spec. */
export interface CommandContext {
  readonly actor: Address
  readonly at: string
  readonly actorIsCoordinator: boolean
  /** The signer is one of the API's chain-bridge identities (BRIDGE_ADDRESSES). */
  readonly actorIsBridge: boolean
  /** The anchor a configured EventAnchor contract holds at an index (facts for RecordAnchor). */
  readonly anchorAt: (chainId: number, contract: string, index: number) => Effect.Effect<typeof OnChainAnchorFacts.Type | undefined, ChainUnavailable>
  /** A submitted model's artefact converted against its manifest (facts for ImportModel; commands/importFacts.ts). */
  readonly convertArtefact: (manifest: NeuraModelManifest, artefactHash: string) => Effect.Effect<ImportConversion, ArtefactNotFound>
  /** The network's protocol parameters (stake minimums, unbonding delay, ...). */
  readonly protocol: ProtocolParams
  /** On-chain settlement (escrowed budgets and stake), or undefined when budgets are only declared. */
  readonly settlement: SettlementChain | undefined
  /** Store command id (`<signer>:<commandId>`), signature and the signed command itself. */
  readonly metadata: EventMetadata
}

/**
 * One command of the public API: its payload schema (the single source for
 * validation and OpenAPI) and how it is handled (load facts, run the decider
 * loop on the right stream).
 */
export interface CommandSpec<P = unknown> {
  readonly type: string
  readonly aggregate: "node" | "dataset" | "task" | "model" | "anchor" | "scoring" | "escrow"
  readonly summary: string
  readonly payload: Schema.Codec<P, unknown>
  readonly handle: (payload: P, context: CommandContext) => Effect.Effect<CommandOutcome | ReadonlyArray<CommandOutcome>, unknown, EventStore>
}

export const commandSpec = <P>(spec: CommandSpec<P>): CommandSpec<P> => spec

/** A sub-step of a multi-stream command gets its own, derived, command id (so retries stay idempotent per step). */
export const step = (metadata: EventMetadata, name: string): EventMetadata => ({ ...metadata, commandId: `${metadata.commandId}#${name}` })
