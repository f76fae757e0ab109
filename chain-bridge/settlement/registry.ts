import { keccak256, toBytes, zeroHash, type Address, type Hex } from "viem"
import { canonicalJson } from "../../infra/canonicalJson"
import type { RecordedEvent } from "../../domain/recordedEvent"
import { ChainUnavailable, clientsFor, guard, sendContractCall, type ChainConnection } from "../ChainClient"
import { modelRegistryAbi } from "../contracts/ModelRegistry.artifact"

/**
 * The Model Objects on chain (ModelRegistry.sol), mirrored from the log by
 * the bridge. `registryOps` is the one translation of model events into the
 * contract's operations; the same digests let anyone compare the chain with
 * the models read model (tests/integration/settlement.e2e).
 */
export const OpKind = { Register: 0, Version: 1, Publish: 2, Delist: 3 } as const

export interface RegistryOp {
  readonly kind: number
  readonly modelId: string
  readonly owner: Address
  readonly parentModel: string
  readonly version: number
  readonly parentVersion: number
  readonly weightsHash: Hex
  readonly taskId: Hex
  readonly metricsDigest: Hex
  readonly position: bigint
}

/** keccak256 of a task id's UTF-8 (zero when a version was not trained by a task). */
export const taskIdDigest = (taskId: string | undefined): Hex => (taskId ? keccak256(toBytes(taskId)) : zeroHash)
/** keccak256 of the metrics' canonical JSON (zero when a version has none). */
export const metricsDigest = (metrics: unknown): Hex => (metrics === undefined ? zeroHash : keccak256(toBytes(canonicalJson(metrics))))

const ZERO = "0x0000000000000000000000000000000000000000" as Address

/** The event types that become registry operations (every other event gives none). */
export const REGISTRY_EVENTS: ReadonlySet<string> = new Set(["ModelRegistered", "ModelVersionCreated", "ModelPublished", "ModelDelisted"])

/** The registry operations of a run of recorded events, in log order (events of other kinds give none). */
export const registryOps = (events: ReadonlyArray<RecordedEvent>): ReadonlyArray<RegistryOp> =>
  events.flatMap((e): ReadonlyArray<RegistryOp> => {
    const d = e.data as Record<string, any> & { _tag: string }
    const base = { modelId: d.modelId as string, owner: ZERO, parentModel: "", version: 0, parentVersion: 0, weightsHash: zeroHash, taskId: zeroHash, metricsDigest: zeroHash, position: BigInt(e.globalPosition) }
    switch (d._tag) {
      case "ModelRegistered": {
        const parent = d.origin?._tag === "Fork" ? d.origin.parent : undefined
        return [{ ...base, kind: OpKind.Register, owner: d.owner, parentModel: parent?.modelId ?? "", parentVersion: parent?.version ?? 0 }]
      }
      case "ModelVersionCreated":
        return [
          {
            ...base,
            kind: OpKind.Version,
            version: d.version,
            parentVersion: d.parent?.modelId === d.modelId ? d.parent.version : 0,
            weightsHash: d.weightsHash,
            taskId: taskIdDigest(d.lineage?.taskId),
            metricsDigest: metricsDigest(d.metrics)
          }
        ]
      case "ModelPublished":
        return [{ ...base, kind: OpKind.Publish, version: d.version }]
      case "ModelDelisted":
        return [{ ...base, kind: OpKind.Delist }]
      default:
        return []
    }
  })

export const STATUS = ["none", "registered", "published", "delisted"] as const

export const registryClient = (connection: ChainConnection, registry: Address) => {
  const clients = clientsFor(connection)
  const { reader } = clients
  const read = <A>(functionName: string, args: readonly unknown[] = []) =>
    guard(() => reader.readContract({ address: registry, abi: modelRegistryAbi, functionName: functionName as never, args: args as never }) as Promise<A>)
  return {
    registry,
    lastPosition: async () => Number(await read<bigint>("lastPosition")),
    modelCount: async () => Number(await read<bigint>("modelCount")),
    /** Apply the ops of log positions [from, to]: one transaction (the contract refuses a range that does not follow its lastPosition). */
    mirror: (from: number, to: number, ops: ReadonlyArray<RegistryOp>) =>
      guard(async () => {
        const { txHash, gasUsed } = await sendContractCall(
          clients,
          { address: registry, abi: modelRegistryAbi, functionName: "mirror", args: [BigInt(from), BigInt(to), ops] },
          (tx) => new ChainUnavailable({ reason: `mirror transaction ${tx} reverted` })
        )
        return { txHash, gasUsed }
      }),
    /** Every model as the chain holds it, with its versions and forks (for comparisons and audits). */
    models: async () => {
      const count = Number(await read<bigint>("modelCount"))
      const out = []
      for (let i = 0; i < count; i++) {
        const modelId = await read<string>("modelIdAt", [BigInt(i)])
        const m = await read<{ owner: Address; status: number; versionCount: number; publishedVersion: number; parentModel: string; parentVersion: number }>("model", [modelId])
        const versions = []
        for (let v = 1; v <= m.versionCount; v++) {
          const x = await read<{ weightsHash: Hex; parentVersion: number; taskId: Hex; metricsDigest: Hex; position: bigint }>("version", [modelId, v])
          versions.push({ version: v, weightsHash: x.weightsHash, parentVersion: x.parentVersion, taskId: x.taskId, metricsDigest: x.metricsDigest })
        }
        const forks = await read<ReadonlyArray<string>>("forksOf", [modelId])
        out.push({
          modelId,
          owner: m.owner.toLowerCase(),
          status: STATUS[m.status]!,
          publishedVersion: m.publishedVersion,
          parent: m.parentModel ? { modelId: m.parentModel, version: m.parentVersion } : undefined,
          versions,
          forks: [...forks]
        })
      }
      return out
    }
  }
}
export type RegistryClient = ReturnType<typeof registryClient>
