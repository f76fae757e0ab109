import type { DomainEvent } from "../../domain/events"
import type { Address, DatasetId, Hash32, NodeId, PublicKey, TaskId } from "../../domain/primitives"

/** Small builders for valid catalogue events, so specs state only what matters to them. */
export const address = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}` as Address
export const hash32 = (n: number): Hash32 => `0x${n.toString(16).padStart(64, "0")}` as Hash32

export const budgetEscrowed = (taskId: string, amount: bigint, owner = address(1)): DomainEvent => ({
  _tag: "BudgetEscrowed",
  taskId: taskId as TaskId,
  owner,
  amount,
  escrowedAt: "2026-11-24T10:00:00.000Z"
})

export const nodeRegistered = (nodeId: string, n = 7): DomainEvent => ({
  _tag: "NodeRegistered",
  nodeId: nodeId as NodeId,
  publicKey: `0x02${n.toString(16).padStart(64, "0")}` as PublicKey,
  address: address(n),
  roles: ["trainer"],
  capabilities: ["tfjs-wasm"],
  registeredAt: "2026-11-24T10:00:00.000Z"
})

export const datasetRegistered = (datasetId: string): DomainEvent => ({
  _tag: "DatasetRegistered",
  datasetId: datasetId as DatasetId,
  name: "digits",
  contentHash: hash32(42),
  licence: "CC-BY-4.0",
  sampleCount: 3823,
  split: "training",
  featureCount: 64,
  classCount: 10,
  shards: [],
  registeredBy: address(3),
  registeredAt: "2026-11-24T10:00:00.000Z"
})
