import { Schema } from "effect"

/**
 * The read-model documents, as Effect Schemas: the projections' types derive
 * from them and the API's OpenAPI document is generated from them, so what a
 * client is promised is what the projections build. Money is a decimal
 * string of Neura base units; `position` is the `<globalPosition>.<index>`
 * of the last event applied to the document.
 */
const S = Schema.String
const N = Schema.Number
const Ref = Schema.Struct({ modelId: S, version: N })

/** Held-out metrics by name (accuracy, f1, perplexity, loss, ...). */
const MetricsDoc = Schema.Record(S, N)

export const TaskDoc = Schema.Struct({
  position: S,
  taskId: S,
  title: S,
  owner: S,
  status: Schema.Literals(["open", "running", "completed", "exhausted"]),
  modelId: S,
  /** The workload that trains it, and the objective: metric, direction, target. */
  workload: S,
  objective: Schema.Struct({ metric: S, direction: S, target: N }),
  target: N,
  maxRounds: N,
  rounds: N,
  latestVersion: N,
  /** The latest verified version's held-out metrics (latestAccuracy: its accuracy, where the workload measures one). */
  latestMetrics: Schema.optional(MetricsDoc),
  latestAccuracy: Schema.optional(N),
  budget: S,
  paidOut: S,
  refunded: S,
  budgetLeft: S,
  participants: Schema.Array(Schema.Struct({ nodeId: S, role: S, address: S })),
  createdAt: S,
  updatedAt: S
})
export type TaskDoc = typeof TaskDoc.Type

export const ModelVersionDoc = Schema.Struct({
  version: N,
  weightsHash: S,
  parent: Schema.optional(Ref),
  taskId: Schema.optional(S),
  round: Schema.optional(N),
  results: Schema.Array(S),
  datasets: Schema.Array(S),
  nodes: Schema.Array(S),
  metrics: Schema.optional(MetricsDoc),
  /** Consensus scores of this version (RequestScoring), one per validation dataset. */
  scores: Schema.optional(Schema.Array(Schema.Struct({ scoringId: S, datasetId: S, metrics: MetricsDoc, judges: Schema.Array(S), scoredAt: S }))),
  createdBy: S,
  createdAt: S
})
export type ModelVersionDoc = typeof ModelVersionDoc.Type

export const ModelDoc = Schema.Struct({
  position: S,
  modelId: S,
  name: S,
  description: S,
  owner: S,
  status: Schema.Literals(["registered", "published", "delisted"]),
  publishedVersion: Schema.optional(N),
  origin: Schema.Union([
    Schema.Struct({ kind: Schema.Literal("new") }),
    Schema.Struct({ kind: Schema.Literal("fork"), parent: Ref }),
    /** Submitted from another framework (ImportModel): which, the artefact's hash, and the workload it claims. */
    /** opaque: kept as the submitted ONNX file (scored, forked, published; not fine-tuned), with why it could not be converted. */
    Schema.Struct({
      kind: Schema.Literal("imported"),
      framework: Schema.String,
      artefactHash: Schema.String,
      workload: Schema.String,
      producer: Schema.optional(Schema.String),
      opaque: Schema.optional(Schema.String)
    })
  ]),
  versions: Schema.Array(ModelVersionDoc),
  forks: Schema.Array(Schema.Struct({ modelId: S, fromVersion: N })),
  /** Every dataset and node that contributed to any version (lineage, flattened). */
  datasets: Schema.Array(S),
  participants: Schema.Array(S),
  /** One entry per version with metrics: the model's progress, iteration by iteration. */
  metricLog: Schema.Array(
    Schema.Struct({ version: N, taskId: Schema.optional(S), round: Schema.optional(N), metrics: MetricsDoc, accuracy: Schema.optional(N), loss: Schema.optional(N), at: S })
  ),
  proposals: Schema.Array(
    /** votesFor / votesAgainst: stake (Neura base units, decimal strings). */
    Schema.Struct({ proposalId: S, action: S, status: Schema.Literals(["open", "passed", "rejected"]), votesFor: S, votesAgainst: S })
  )
})
export type ModelDoc = typeof ModelDoc.Type

export const NodeDoc = Schema.Struct({
  position: S,
  nodeId: S,
  address: S,
  roles: Schema.Array(S),
  capabilities: Schema.Array(S),
  registeredAt: S,
  tasks: Schema.Array(S),
  results: Schema.Struct({ submitted: N, verified: N, rejected: N }),
  /** disputed: proven wrong by a ruling; unrevealed: committed and never revealed. */
  votes: Schema.Struct({ cast: N, agreeing: N, disagreeing: N, disputed: N, unrevealed: N }),
  earned: S,
  /** Stake bonded to the node, withdrawn from it, and taken by rulings (Neura base units). */
  stake: Schema.Struct({ bonded: S, withdrawn: S, slashed: S }),
  /** verified×2 − rejected×3 + agreeing − disagreeing×2 − disputed×3 − unrevealed×2 */
  reputation: N
})
export type NodeDoc = typeof NodeDoc.Type

/** A payout from a task's escrow (taskId, round) or a scoring's fee (scoringId). */
export const Payout = Schema.Struct({ taskId: Schema.optional(S), round: Schema.optional(N), scoringId: Schema.optional(S), role: S, amount: S, reason: S, position: S })
export type Payout = typeof Payout.Type

export const BalanceDoc = Schema.Struct({
  position: S,
  address: S,
  /** Received as rewards. */
  earned: S,
  /** Received back from escrow as a task owner. */
  refunded: S,
  /** Put into escrow as a task owner. */
  escrowed: S,
  /** Bonded as node stake, withdrawn from it, and slashed from it. */
  bonded: S,
  withdrawn: S,
  slashed: S,
  /** earned + refunded + withdrawn − escrowed − bonded: the net flow through the network. */
  net: S,
  payouts: Schema.Array(Payout)
})
export type BalanceDoc = typeof BalanceDoc.Type

/** bestMetric: the best verified value of the task objective's metric (bestAccuracy where that metric is accuracy). */
export const LeaderboardEntry = Schema.Struct({ participant: S, role: S, earned: S, verifiedResults: N, bestMetric: Schema.optional(N), bestAccuracy: Schema.optional(N) })
export type LeaderboardEntry = typeof LeaderboardEntry.Type

export const LeaderboardDoc = Schema.Struct({
  position: S,
  taskId: S,
  /** The objective's metric and direction: what bestMetric ranks. */
  objective: Schema.optional(Schema.Struct({ metric: S, direction: S })),
  /** Sorted: most earned first, then most verified results, then name. */
  entries: Schema.Array(LeaderboardEntry)
})
export type LeaderboardDoc = typeof LeaderboardDoc.Type
