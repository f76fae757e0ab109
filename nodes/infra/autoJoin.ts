import { ApiError, type NeuraClient } from "../../commands/client"
import { followLogThroughApi } from "../watcher/logFollower"

/**
 * A node's opt-in policy, for a network that keeps serving: join every task
 * created from now on whose data the node can actually get (its validation
 * set's bytes are in the datasets bucket: a node that cannot measure would
 * only be slashed or go silent), bonding the role's minimum first when its
 * free stake is short. Follows the log through the API, like any outsider.
 */
export const startAutoJoin = async (o: {
  /** Signs as the node. */
  readonly client: NeuraClient
  /** The same API's base URL (shards are checked with HEAD /datasets/shards/sha256-<hex>). */
  readonly apiUrl: string
  readonly nodeId: string
  readonly role: "trainer" | "validator"
  /** Bonded when a join is refused for want of stake. */
  readonly bond: bigint
  /** With on-chain settlement: get `amount` deposited into the node's stake account (and recorded) before bonding it. */
  readonly deposit?: (amount: bigint) => Promise<void>
  readonly log?: (line: string) => void
}) => {
  const log = o.log ?? (() => undefined)
  // Tasks created from now on: the log's head is where following starts.
  const head = ((await o.client.get("/health")) as { headPosition: number }).headPosition
  const shardAvailable = async (hash: string) => (await fetch(`${o.apiUrl}/datasets/shards/sha256-${hash.slice(2)}`, { method: "HEAD" })).ok
  let chain = Promise.resolve()
  const join = async (taskId: string, validationHash: string) => {
    if (!(await shardAvailable(validationHash))) {
      log(`${o.nodeId}: not joining ${taskId}: its validation set ${validationHash.slice(0, 10)}… is not in the datasets bucket`)
      return
    }
    const command = () => o.client.command("JoinTask", { taskId, nodeId: o.nodeId, role: o.role }, { commandId: `autojoin-${taskId}-${o.nodeId}` })
    try {
      await command()
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      if (e.problem.code === "AlreadyJoined" || e.problem.code === "TaskClosed") return
      if (e.problem.code !== "StakeTooLow") throw e
      await o.deposit?.(o.bond)
      await o.client.command("BondStake", { nodeId: o.nodeId, amount: o.bond.toString() }, { commandId: `autojoin-bond-${taskId}-${o.nodeId}` })
      await command()
    }
    log(`${o.nodeId}: joined ${taskId} as ${o.role}`)
  }
  const follower = followLogThroughApi(
    o.client,
    (e) => {
      if (e.data._tag !== "TaskCreated") return
      const { taskId, validation } = e.data as unknown as { taskId: string; validation: { contentHash: string } }
      // One at a time, in log order; a failure is logged, never fatal.
      chain = chain.then(() => join(taskId, validation.contentHash)).catch((err: unknown) => log(`${o.nodeId}: could not join ${taskId}: ${err instanceof Error ? err.message : String(err)}`))
    },
    { from: String(head + 1), pollMs: 500, log }
  )
  return {
    async stop() {
      await follower.stop()
      await chain
    }
  }
}
