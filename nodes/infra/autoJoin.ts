import { ApiError, type NeuraClient } from "../../commands/client"
import { followLogThroughApi } from "../watcher/logFollower"

/**
 * A node's opt-in policy, for a network that keeps serving: join every task
 * created from now on whose data the node can actually get (its validation
 * set's bytes are in the datasets bucket: a node that cannot measure would
 * only be slashed or go silent), bonding the role's minimum first when its
 * free stake is short. Follows the log through the API, like any outsider.
 */
export const startAutoJoin = (o: {
  /** Signs as the node. */
  readonly client: NeuraClient
  readonly nodeId: string
  readonly role: "trainer" | "validator"
  /** Whether the datasets bucket holds these bytes (by content hash). */
  readonly shardAvailable: (contentHash: string) => Promise<boolean>
  /** Bonded when a join is refused for want of stake. */
  readonly bond: bigint
  /** A log position to start from: tasks created before it are not joined. */
  readonly from: string
  readonly log?: (line: string) => void
}) => {
  const log = o.log ?? (() => undefined)
  let chain = Promise.resolve()
  const join = async (taskId: string, validationHash: string) => {
    if (!(await o.shardAvailable(validationHash))) {
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
    { from: o.from, pollMs: 500, log }
  )
  return {
    async stop() {
      await follower.stop()
      await chain
    }
  }
}
