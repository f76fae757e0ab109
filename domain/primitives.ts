import { Schema } from "effect"

/**
 * Value schemas shared by every aggregate. One definition each: events,
 * commands, HTTP bodies and OpenAPI all derive from these.
 */

/**
 * `Schema.isPattern(pattern)`, exported to JSON Schema (the OpenAPI document
 * gives every pattern to clients): Effect exports a pattern only when it
 * carries the `u` flag, and V8 matches slower with it (Instant ~35 → ~46 ns).
 * Every pattern here is ASCII classes, which accept the same strings with and
 * without the flag: the filter carries the annotations of the `u` pattern
 * (message, JSON Schema, arbitrary) and tests without it. `fixedLength`: the
 * length is checked first and `test` may leave the counted repetition out;
 * every stored event carries two digests and most an address, checked on
 * every read of the log: V8 ran `^0x[0-9a-f]{64}$` at ~140 ns a string,
 * `^0x[0-9a-f]*$` after the length at ~55 ns.
 */
export const matching = (pattern: RegExp, annotations?: { readonly description: string }, fixedLength?: { readonly length: number; readonly test: RegExp }) => {
  const exported = Schema.isPattern(new RegExp(pattern.source, pattern.flags.includes("u") ? pattern.flags : `${pattern.flags}u`), annotations)
  const test = new RegExp(fixedLength?.test ?? pattern)
  const length = fixedLength?.length
  return Schema.makeFilter((s: string) => {
    if (length !== undefined && s.length !== length) return false
    // As isPattern does: a global or sticky pattern must not carry its last match over.
    test.lastIndex = 0
    return test.test(s)
  }, exported.annotations)
}

/** 0x-prefixed lowercase hex of exactly `bytes` bytes. */
const hexOf = (bytes: number, name: string) =>
  Schema.String.pipe(
    Schema.check(
      matching(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), { description: `0x-prefixed lowercase hex, ${bytes} bytes (${name})` }, { length: 2 + bytes * 2, test: /^0x[0-9a-f]*$/ })
    )
  )

/** Ethereum address derived from a node's secp256k1 key (lowercase hex). */
export const Address = hexOf(20, "address").pipe(Schema.brand("Address"))
export type Address = typeof Address.Type

/** A 65-byte r‖s‖v secp256k1 signature. */
export const SignatureHex = hexOf(65, "r‖s‖v secp256k1 signature")

/** keccak256 / sha256 digest. */
export const Hash32 = hexOf(32, "digest").pipe(Schema.brand("Hash32"))
export type Hash32 = typeof Hash32.Type

/** Compressed secp256k1 public key. */
export const PublicKey = hexOf(33, "compressed secp256k1 public key").pipe(Schema.brand("PublicKey"))
export type PublicKey = typeof PublicKey.Type

/**
 * Neura amounts are integer base units. bigint in memory, a decimal string on
 * the wire and in the log, so no float ever touches money.
 */
export const NeuraAmount = Schema.BigIntFromString.pipe(
  Schema.check(Schema.isGreaterThanOrEqualToBigInt(0n, { description: "non-negative Neura base units" }))
)
export type NeuraAmount = typeof NeuraAmount.Type

/** ISO-8601 UTC instant; time always comes in on the command, never from domain code. */
export const Instant = Schema.String.pipe(
  Schema.check(
    matching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, { description: "ISO-8601 UTC instant" })
  )
)
export type Instant = typeof Instant.Type

/** An instant `seconds` later (deadlines, windows, delays: all computed from the command's own time). */
export const addSeconds = (instant: string, seconds: number): string => new Date(Date.parse(instant) + seconds * 1000).toISOString()

/** Identifier usable as the id part of a stream name and a NATS subject token. */
export const EntityId = Schema.String.pipe(
  Schema.check(matching(/^[A-Za-z0-9_-]{1,128}$/, { description: "1-128 chars of [A-Za-z0-9_-]" }))
)

export const NodeId = EntityId.pipe(Schema.brand("NodeId"))
export type NodeId = typeof NodeId.Type
export const DatasetId = EntityId.pipe(Schema.brand("DatasetId"))
export type DatasetId = typeof DatasetId.Type
export const TaskId = EntityId.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type

/** A workload's name in the registry (workloads/registry.ts): lower-case words joined by dashes. */
export const WorkloadId = Schema.String.pipe(
  Schema.check(matching(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { description: "workload id, e.g. spam-transformer" }), Schema.isMaxLength(64))
)
export type WorkloadId = typeof WorkloadId.Type

export const NonNegativeInt = Schema.Number.pipe(
  Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))
)
export const PositiveInt = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThan(0)))

/** `M-<n>`: models are numbered in registration order. */
export const ModelId = Schema.String.pipe(
  Schema.check(matching(/^M-[1-9][0-9]{0,8}$/, { description: "model id M-<n>" })),
  Schema.brand("ModelId")
)
export type ModelId = typeof ModelId.Type

export const ResultId = EntityId.pipe(Schema.brand("ResultId"))
export type ResultId = typeof ResultId.Type
export const SubmissionId = EntityId.pipe(Schema.brand("SubmissionId"))
export type SubmissionId = typeof SubmissionId.Type
export const ShardId = EntityId.pipe(Schema.brand("ShardId"))
export type ShardId = typeof ShardId.Type
export const ProposalId = EntityId.pipe(Schema.brand("ProposalId"))
export type ProposalId = typeof ProposalId.Type

/** Parts per ten thousand (reward splits, penalties). */
export const BasisPoints = Schema.Number.pipe(
  Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(10_000))
)

/** A metric's name, as a workload declares it (accuracy, f1, perplexity, loss, ...). */
export const MetricName = Schema.String.pipe(
  Schema.check(matching(/^[a-z][A-Za-z0-9]{0,31}$/, { description: "metric name: a lower-case letter then up to 31 letters or digits" }))
)
export type MetricName = typeof MetricName.Type

/**
 * A model quality measurement: the workload's metrics by name, each a finite
 * number (accuracy and F1 are fractions in [0, 1], perplexity >= 1; an
 * agent's mean return, and so its loss, may be negative; every workload
 * reports `loss`). The task's objective names one of them.
 */
export const Metrics = Schema.Record(MetricName, Schema.Number.pipe(Schema.check(Schema.isFinite())))
export type Metrics = typeof Metrics.Type

export const ModelVersionRef = Schema.Struct({
  modelId: ModelId,
  version: PositiveInt
})
export type ModelVersionRef = typeof ModelVersionRef.Type

/** A JSON object carried as is (e.g. a TF.js Layers topology). */
export const JsonObject = Schema.Record(Schema.String, Schema.Unknown)
