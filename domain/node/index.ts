import type { Decider } from "../decider"
import type { NodeCommand } from "./commands"
import { decideStake, type StakeCommand } from "./stake"
import type { StakeError } from "./errors"
import { decide } from "./decide"
import type { NodeError } from "./errors"
import type { NodeEvent } from "./events"
import { evolve, initialState, type NodeState } from "./state"

export const node: Decider<NodeCommand, NodeEvent, NodeState, NodeError> = { decide, evolve, initialState }
export const nodeStream = (nodeId: string) => `node-${nodeId}`

/** Stake commands on the node's own stream (they share its state with registration). */
export const nodeStakeDecider: Decider<StakeCommand, NodeEvent, NodeState, StakeError> = { decide: decideStake, evolve, initialState }
